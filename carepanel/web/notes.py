"""The one-line note a page shows after an action ("Pack built: 12 pages"), kept in the session.

Handlers redirect with ``?note=...`` (``app._back``).  This middleware moves that note into the
signed session cookie and takes it out of the address, and on the next page puts it back into
the request as if it had come in the query string; a ``note`` a link carries itself is dropped,
so a crafted link cannot put words of its choosing on a real page of the service.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_NOTE = 500


class NoteInSession:
    """Inside ``SessionMiddleware`` (it needs ``scope["session"]``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        raw = scope.get("query_string", b"")
        stored = session.get("note")
        mine = scope["method"] == "GET" and isinstance(stored, dict) and stored.get("path") == scope["path"]
        if mine or b"note" in raw:  # otherwise the query string is left exactly as it came
            query = [(k, v) for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if k != "note"]
            if mine:
                query.append(("note", str(stored.get("text", ""))))
                session.pop("note", None)
            scope = dict(scope, query_string=urlencode(query).encode("ascii"))

        async def send_moving_note(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [self._moved(name, value, session) if name.lower() == b"location" else (name, value)
                                      for name, value in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_moving_note)

    @staticmethod
    def _moved(name: bytes, value: bytes, session: dict[str, object]) -> tuple[bytes, bytes]:
        parts = urlsplit(value.decode("latin-1"))
        query = parse_qsl(parts.query, keep_blank_values=True)
        notes = [v for k, v in query if k == "note"]
        if not notes:
            return name, value
        session["note"] = {"path": parts.path, "text": notes[-1][:MAX_NOTE]}
        rest = urlencode([(k, v) for k, v in query if k != "note"])
        return name, urlunsplit(parts._replace(query=rest)).encode("latin-1")
