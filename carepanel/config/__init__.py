"""The service's settings (``config.toml``), read once at the edge into frozen, validated values.

``settings.py`` holds the values (``Config`` and one dataclass per table), ``read.py`` reads and
checks them, naming the key of any mistake.  The council's panel rules are not here: they are
the profiles (``carepanel.profiles``), which a config names and may override table by table.
"""

from __future__ import annotations

from .read import build_config, default_config, find_config, learned_form_files, load_config
from .settings import (MAILBOX_SETTINGS, BackendConfig, Config, ExchangeConfig, FolderConfig, GraphConfig, ImapConfig,
                       Limits, MailboxConfig, NoticeConfig, OidcConfig, OutboxConfig, PackConfig, RetentionPolicy,
                       RetryPolicy, Secret, WebConfig)

__all__ = [
    "MAILBOX_SETTINGS", "BackendConfig", "Config", "ExchangeConfig", "FolderConfig", "GraphConfig", "ImapConfig",
    "Limits", "MailboxConfig", "NoticeConfig", "OidcConfig", "OutboxConfig", "PackConfig", "RetentionPolicy",
    "RetryPolicy", "Secret", "WebConfig",
    "build_config", "default_config", "find_config", "learned_form_files", "load_config",
]
