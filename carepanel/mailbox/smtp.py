"""The ``smtp`` outbound backend: mail submission (port 587, STARTTLS, AUTH) to the council's relay.

A message keeps the stable Message-ID the service gave it, so if the service dies after the
server accepted it but before the send was recorded, the copy sent again is recognisably the
same message (SMTP has no way to ask whether a message was already accepted).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from ..config import OutboxConfig
from ..errors import ConfigError
from .imap import tls_context
from .secrets import read_secret


class SmtpOutbox:
    def __init__(self, cfg: OutboxConfig, *, timeout: float = 30.0) -> None:
        if cfg.host is None:
            raise ConfigError("outbox.host: required for backend = \"smtp\"")
        self.cfg = cfg
        self.timeout = timeout

    def send(self, msg: EmailMessage) -> str:
        """Submit ``msg``; an ``OSError`` (refused, unreachable, rejected) means try again later."""
        cfg = self.cfg
        host = str(cfg.host)
        if msg["Message-ID"] is None:
            msg["Message-ID"] = make_msgid()
        port = cfg.port or (465 if cfg.tls == "ssl" else 587)
        ctx = tls_context(cfg.ca_file)
        try:
            smtp: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=ctx) if cfg.tls == "ssl"
                                  else smtplib.SMTP(host, port, timeout=self.timeout))
            with smtp:
                if cfg.tls == "starttls":
                    smtp.starttls(context=ctx)
                if cfg.username:
                    smtp.login(cfg.username, read_secret(cfg.password_env, cfg.password_file, what="outbox password"))
                smtp.send_message(msg)
        except (smtplib.SMTPException, ssl.SSLError) as exc:
            raise OSError(f"the mail server did not take the message: {exc}") from exc
        return str(msg["Message-ID"])
