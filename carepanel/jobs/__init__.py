"""Jobs: the modules that run one piece of work end to end.

A job reads the store, applies the pipeline's rules, writes through the store, renders with
``outputs`` and queues mail: it is the layer that may do all of that, under the faces (``cli``,
``web``, ``service``) and over everything else (see ``docs/architecture.md``).

    process   one message, from raw bytes to a committed submission
    review    the administrator's review actions (accept, accept late, sign-off, correct,
              move, reject, ask the sender), for the web app and ``carepanel review`` alike
    decisions drafts, signs and sends the panel's decisions
    packs     builds and sends the panel's papers
    governance
              holds, retention and exports
    backup    backup and restore of the data directory
    health    the service's health figures (``carepanel health``, /healthz)
    verify    ``carepanel verify``: the database, the archive and the mail folders agree
"""
