"""The web app's pages by area, each module a ``routes(web)`` returning its ``Route``s.

    auth       signing in and out (password, Entra ID)
    dashboard  the administrators' dashboard and the panel's rules
    queue      the review queue, a submission, its files and the review actions
    decisions  drafting, reading and signing a decision
    panels     the sittings, their agendas and packs
    machines   /healthz and Microsoft Graph's webhook (no session)

``create_app`` in ``web/app.py`` puts them together, in the order that keeps the more
particular path first.
"""
