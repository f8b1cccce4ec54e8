"""A local EWS endpoint replaying recorded SOAP answers (``recordings/ews/``), for the exchange
backend's tests: each request is matched by its operation and by text it must (or must not)
contain; a rule's answers are served in order and the last one repeats.

An answer with ``"hold": true`` is sent the way Exchange sends a ``GetStreamingEvents`` stream:
chunked, and the connection then kept open (as a stream with no news is) until the replay is
closed or ``release()`` is called, when it ends as the server ends it."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).resolve().parent / "recordings" / "ews"
OPERATION = re.compile(rb"<s:Body>\s*<m:(\w+)")


class EwsReplay:
    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = json.loads((RECORDINGS / "scenario.json").read_text())["rules"]
        self.served: dict[int, int] = defaultdict(int)
        self.log: list[tuple[str, bytes]] = []  # (operation, request body)
        self.auth: list[str | None] = []
        self.released = threading.Event()  # ends every held stream
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = OPERATION.search(body)
                op = m.group(1).decode() if m else "?"
                replay.log.append((op, body))
                replay.auth.append(self.headers.get("Authorization"))
                status, data, hold = replay.answer(op, body)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                if not hold:
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                    replay.released.wait()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client went away first
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/EWS/Exchange.asmx"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, op: str, body: bytes) -> tuple[int, bytes, bool]:
        text = body.decode("utf-8", "replace")
        for i, rule in enumerate(self.rules):
            if rule["operation"] != op:
                continue
            if not all(s in text for s in rule.get("contains", [])):
                continue
            if any(s in text for s in rule.get("excludes", [])):
                continue
            answers = rule["answers"]
            answer = answers[min(self.served[i], len(answers) - 1)]
            self.served[i] += 1
            return int(answer.get("status", 200)), render(answer["file"]), bool(answer.get("hold"))
        return 500, render("unmatched.xml").replace(b"{op}", op.encode()), False

    def ops(self) -> list[str]:
        return [op for op, _ in self.log]

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def render(name: str) -> bytes:
    """A recorded answer, with ``{mime:FILE}`` replaced by that file's bytes in base64 (as EWS
    sends MimeContent), so the .eml beside it is what the archive must hold byte for byte."""
    xml = (RECORDINGS / name).read_bytes()
    return re.sub(rb"\{mime:([\w.-]+)\}", lambda m: base64.b64encode((RECORDINGS / m.group(1).decode()).read_bytes()), xml)
