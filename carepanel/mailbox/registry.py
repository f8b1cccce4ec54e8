"""The mailbox backends, by the name ``[mailbox] backend`` gives: one line each.

Each backend is a settings dataclass (``config/settings.py``, read from ``[mailbox]``) and one module of
this package offering:

- ``open_inbox(cfg, clock)``: the running service's ``base.Mailbox`` for it;
- ``check(cfg)``: for ``carepanel mailbox check``: connect, sign in, open the folders as the
  service would, and say in words what it can read; ``MailboxUnavailable`` says why not;
- ``local_processed(cfg)``: the folder on this machine where processed messages are kept, for
  ``carepanel verify`` to hold against the ledger, or ``None`` when they stay on a server.

The module is imported only when its backend is configured, so a council on IMAP never loads
the Exchange libraries.  Adding a backend: README, "Adding a mailbox backend".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..config import BackendConfig, ExchangeConfig, FolderConfig, GraphConfig, ImapConfig
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..clock import Clock
    from ..config import Config
    from .base import Mailbox


@dataclass(frozen=True)
class Backend:
    module: str  # carepanel.mailbox.<module>
    settings: type[BackendConfig]

    def _load(self) -> ModuleType:
        return importlib.import_module(f"{__package__}.{self.module}")

    @property
    def factory(self) -> Callable[[Config, Clock], Mailbox[Any]]:
        return self._load().open_inbox  # type: ignore[no-any-return]

    @property
    def check(self) -> Callable[[Config], str]:
        return self._load().check  # type: ignore[no-any-return]

    @property
    def local_processed(self) -> Callable[[Config], Path | None]:
        return self._load().local_processed  # type: ignore[no-any-return]


BACKENDS: dict[str, Backend] = {
    "folder": Backend("folder", FolderConfig),
    "imap": Backend("imap", ImapConfig),
    "graph": Backend("graph", GraphConfig),
    "exchange": Backend("exchange", ExchangeConfig),
}


def backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(f"mailbox.backend {name!r} is not one of {', '.join(BACKENDS)}") from None
