"""Reading ``config.toml`` into a ``Config``: ``--config``, else ``./config.toml``, else
``$CAREPANEL_CONFIG``, else every default.

``config.toml`` names a profile and may override any of its tables with a table of the same
name, so a council that moves its cut-off edits its config rather than the program.  Every key
is checked here (the profile's by its model, ``carepanel.profiles``): an unknown key or a bad
value fails at start-up with a message naming the key, never deep inside a rule.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..profiles import DEFAULT_PROFILE, DIRECTORY_ROLES, PROFILE_SECTIONS, FormSpec, load_form_file, load_profile
from .settings import (MAILBOX_SETTINGS, BackendConfig, Config, ExchangeConfig, GraphConfig, ImapConfig, Limits,
                       MailboxConfig, NoticeConfig, OidcConfig, OutboxConfig, PackConfig, RetentionPolicy,
                       RetryPolicy, WebConfig)
from .table import Table


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """``--config``, else ``./config.toml``, else ``$CAREPANEL_CONFIG``, else none (defaults)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config: no such file: {path}")
        return path
    local = Path("config.toml")
    if local.is_file():
        return local
    env = os.environ.get("CAREPANEL_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"CAREPANEL_CONFIG: no such file: {path}")
        return path
    return None


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    check_files: bool = False,
) -> Config:
    found = find_config(path)
    if found is None:
        raw: dict[str, Any] = {}
        base = Path.cwd()
    else:
        try:
            raw = tomllib.loads(found.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{found}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{found}: not UTF-8 text") from exc
        base = found.resolve().parent
    return build_config(raw, base=base, path=found, data_dir=data_dir, profile=profile, check_files=check_files)


def build_config(
    raw: Mapping[str, Any],
    *,
    base: Path,
    path: Path | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    check_files: bool = False,
) -> Config:
    t = Table(raw, "")
    profile_name = profile or t.take("profile", str, DEFAULT_PROFILE)
    if profile:
        t.take("profile", str, None)
    overrides = {s: t.take(s, list if s == "advice" else dict) for s in PROFILE_SECTIONS if s in raw}
    unproven = _unproven_sender(overrides)
    learned, overrides = learned_form_files(overrides, base)
    prof = load_profile(profile_name, overrides)
    data = _path(base, data_dir) if data_dir else _path(base, t.take("data_dir", str, "data"))
    if data_dir:
        t.take("data_dir", str, None)

    directory = t.table("directory")
    csv_value = directory.take("csv", str, None)
    exchange_groups = _exchange_groups(directory.take("exchange_groups", dict, {}))
    refresh_hours = float(directory.take("exchange_refresh_hours", (int, float), 24.0))
    directory.done()
    directory_csv = _path(base, csv_value) if csv_value else None
    if check_files and directory_csv is not None and not directory_csv.is_file():
        raise ConfigError(f"directory.csv: no such file: {directory_csv}")

    cfg = Config(
        path=path,
        base_dir=base,
        data_dir=data,
        profile=prof,
        directory_csv=directory_csv,
        mailbox=_mailbox(t.table("mailbox"), base, data),
        outbox=_outbox(t.table("outbox"), base, data),
        notices=_notices(t.table("notices"), base),
        limits=_limits(t.table("limits")),
        retry=_retry(t.table("retry")),
        pack=_pack(t.table("pack")),
        web=_web(t.table("web")),
        retention=_retention(t.table("retention")),
        directory_exchange_groups=exchange_groups,
        directory_refresh_hours=refresh_hours,
        network_data_dir=t.choice("network_data_dir", ("refuse", "warn"), "refuse"),
        **_backup(t.table("backup"), base),
        learned_forms=learned,
    )
    t.done()
    cfg = replace(cfg, unproven_sender=unproven or ("accept" if cfg.mailbox.backend == "folder" else "refuse"))
    if exchange_groups and cfg.mailbox.backend != "exchange":
        raise ConfigError("directory.exchange_groups: the address book is read through EWS; it needs "
                          "mailbox.backend = \"exchange\"")
    return cfg


def _unproven_sender(overrides: dict[str, Any]) -> str | None:
    """``[signoff] unproven_sender``, taken out before the profile reads its requirements."""
    section = overrides.get("signoff")
    if not isinstance(section, dict) or "unproven_sender" not in section:
        return None
    overrides["signoff"] = {k: v for k, v in section.items() if k != "unproven_sender"}
    value = section["unproven_sender"]
    if value not in ("refuse", "warn", "accept"):
        raise ConfigError("signoff.unproven_sender: must be one of refuse, warn, accept")
    if not overrides["signoff"]:
        del overrides["signoff"]
    return str(value)


def _backup(t: Table, base: Path) -> dict[str, Any]:
    recipients = t.strings("recipients", None, ())
    identity = _optional_path(base, t.take("identity_file", str, None))
    t.done()
    for r in recipients:
        if not r.startswith("age1"):
            raise ConfigError(f"backup.recipients: {r[:12]!r}… is not an age public key (age1…)")
    return {"backup_recipients": recipients, "backup_identity_file": identity}


def learned_form_files(overrides: dict[str, Any], base: Path) -> tuple[tuple[FormSpec, ...], dict[str, Any]]:
    """``[form] file`` (one path or a list), relative to the config's folder: each a form
    description written by ``carepanel form learn``.  Returns them and the overrides without
    the key, so the rest of ``[form]`` still overrides the profile's own form."""
    section = overrides.get("form")
    if not isinstance(section, dict) or "file" not in section:
        return (), overrides
    value = section["file"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("form.file: give the learned form's file name (or a list of them)")
    rest = {k: v for k, v in section.items() if k != "file"}
    others = {k: v for k, v in overrides.items() if k != "form"}
    if rest:
        others["form"] = rest
    return tuple(load_form_file(_path(base, n)) for n in names), others


def _exchange_groups(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    groups: list[tuple[str, str]] = []
    for role, address in value.items():
        if role not in DIRECTORY_ROLES:
            raise ConfigError(f"directory.exchange_groups: role {role!r} is not one of {', '.join(DIRECTORY_ROLES)}")
        if not isinstance(address, str) or "@" not in address:
            raise ConfigError(f"directory.exchange_groups.{role}: give the distribution list's email address")
        groups.append((role, address.strip()))
    return tuple(groups)


def _path(base: Path, value: str | os.PathLike[str]) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _mailbox(t: Table, base: Path, data: Path) -> MailboxConfig:
    """Every key of every backend is read (a key another backend uses is accepted and ignored, as
    it always was); the configured backend's own settings are kept and checked."""
    backend = t.choice("backend", tuple(MAILBOX_SETTINGS), "folder")
    path = t.take("path", str, None)
    processed = t.take("processed_path", str, None)
    failed = t.take("failed_path", str, None)
    k: dict[str, Any] = dict(
        poll_seconds=float(t.take("poll_seconds", (int, float), 5.0)),
        settle_seconds=float(t.take("settle_seconds", (int, float), 1.0)),
        host=t.take("host", str, None),
        port=t.take("port", int, None),
        tls=t.choice("tls", ("ssl", "starttls", "none"), "ssl"),
        username=t.take("username", str, None),
        password_env=t.take("password_env", str, None),
        folder=t.take("folder", str, "INBOX"),
        password_file=_optional_path(base, t.take("password_file", str, None)),
        processed_folder=t.take("processed_folder", str, "carepanel/processed"),
        failed_folder=t.take("failed_folder", str, "carepanel/failed"),
        on_processed=t.choice("on_processed", ("move", "flag"), "move"),
        idle=t.take("idle", bool, True),
        ca_file=_optional_path(base, t.take("ca_file", str, None)),
        address=t.take("address", str, None),
        tenant_id=t.take("tenant_id", str, None),
        client_id=t.take("client_id", str, None),
        client_secret_env=t.take("client_secret_env", str, None),
        graph_url=t.take("graph_url", str, "https://graph.microsoft.com/v1.0").rstrip("/"),
        service_endpoint=_ews_endpoint(t.take("service_endpoint", str, None), t.take("server", str, None)),
        auth=t.choice("auth", ("ntlm", "basic", "oauth"), "ntlm"),
        exchange_version=t.choice("exchange_version", ("Exchange2013", "Exchange2013_SP1", "Exchange2016",
                                                       "Exchange2019"), "Exchange2016"),
        notifications=t.choice("notifications", ("streaming", "poll"), "streaming"),
        notification_url=t.take("notification_url", str, None),
        notification_secret_env=t.take("notification_secret_env", str, None),
        notification_poll_seconds=float(t.take("notification_poll_seconds", (int, float), 900.0)),
        internal_domains=tuple(d.strip().lower().lstrip("@") for d in t.strings("internal_domains", None, ())),
    )
    t.done()
    if k["notification_url"] is not None and backend != "graph":
        raise ConfigError("mailbox.notification_url: change notifications are for backend = \"graph\"")
    if backend == "folder":
        k.update(path=_path(base, path) if path else data / "inbox",
                 processed_path=_path(base, processed) if processed else data / "processed",
                 failed_path=_path(base, failed) if failed else data / "failed")
    kind = MAILBOX_SETTINGS[backend]
    settings = kind(**{f.name: k[f.name] for f in fields(kind)})
    _check_mailbox(backend, settings)
    return MailboxConfig(backend, k["poll_seconds"], settings, internal_domains=k["internal_domains"])


def _check_mailbox(backend: str, m: BackendConfig) -> None:
    """What each backend cannot run without, named by its key."""
    def need(*keys: str, why: str = "") -> None:
        for key in keys:
            if getattr(m, key) is None:
                raise ConfigError(f"mailbox.{key}: required for backend = \"{backend}\"{why}"
                                  + (" (or mailbox.server)" if key == "service_endpoint" else ""))

    if isinstance(m, ExchangeConfig):
        need("address", "service_endpoint")
        if m.auth == "oauth":
            need("tenant_id", "client_id", "client_secret_env", why=" with auth = \"oauth\"")
        elif m.username is None:
            raise ConfigError("mailbox.username: required for backend = \"exchange\" (DOMAIN\\user or UPN)")
        elif m.password_env is None and m.password_file is None:
            raise ConfigError("mailbox.password_env: required for backend = \"exchange\" (or password_file)")
    if isinstance(m, GraphConfig):
        if m.notification_url is not None:
            if not m.notification_url.startswith("https://"):
                raise ConfigError("mailbox.notification_url: Microsoft Graph only notifies an https:// URL")
            if m.notification_secret_env is None:
                raise ConfigError("mailbox.notification_secret_env: required with notification_url (the clientState secret)")
        need("address", "tenant_id", "client_id", "client_secret_env")
    if isinstance(m, ImapConfig):
        need("host", "username")
        if m.password_env is None and m.password_file is None:
            raise ConfigError("mailbox.password_env: required for backend = \"imap\" (or password_file)")


def _ews_endpoint(endpoint: str | None, server: str | None) -> str | None:
    if endpoint and server:
        raise ConfigError("mailbox: give service_endpoint or server, not both")
    if server:
        return f"https://{server}/EWS/Exchange.asmx"
    return endpoint


def _optional_path(base: Path, value: str | None) -> Path | None:
    return _path(base, value) if value else None


def _outbox(t: Table, base: Path, data: Path) -> OutboxConfig:
    backend = t.choice("backend", ("folder", "smtp", "exchange", "graph"), "folder")
    path = t.take("path", str, None)
    o = OutboxConfig(
        backend=backend,
        path=_path(base, path) if path else (data / "outbox" if backend == "folder" else None),
        from_address=t.take("from_address", str, "panel@example.gov.uk"),
        host=t.take("host", str, None),
        port=t.take("port", int, None),
        tls=t.choice("tls", ("ssl", "starttls", "none"), "starttls"),
        username=t.take("username", str, None),
        password_env=t.take("password_env", str, None),
        password_file=_optional_path(base, t.take("password_file", str, None)),
        ca_file=_optional_path(base, t.take("ca_file", str, None)),
    )
    t.done()
    if backend == "smtp" and o.host is None:
        raise ConfigError("outbox.host: required for backend = \"smtp\"")
    return o


def _notices(t: Table, base: Path) -> NoticeConfig:
    tdir = t.take("templates_dir", str, None)
    n = NoticeConfig(
        copy_team_manager=t.take("copy_team_manager", bool, True),
        templates_dir=_path(base, tdir) if tdir else None,
    )
    t.done()
    return n


def _limits(t: Table) -> Limits:
    mb = 1024 * 1024
    lim = Limits(
        max_message_bytes=int(float(t.take("max_message_mb", (int, float), 60)) * mb),
        max_attachment_bytes=int(float(t.take("max_attachment_mb", (int, float), 30)) * mb),
        max_pages=t.take("max_pages", int, 300),
        max_decompressed_bytes=int(float(t.take("max_decompressed_mb", (int, float), 200)) * mb),
        parse_timeout_seconds=float(t.take("parse_timeout_seconds", (int, float), 60)),
        reader_memory_mb=t.take("reader_memory_mb", int, 1536),
    )
    t.done()
    return lim


def _pack(t: Table) -> PackConfig:
    pc = PackConfig(
        marking=t.take("marking", str, "OFFICIAL-SENSITIVE"),
        max_email_mb=float(t.take("max_email_mb", (int, float), 10)),
        too_large=t.choice("too_large", ("link", "split"), "link"),
        web_url=t.take("web_url", str, "http://127.0.0.1:8000").rstrip("/"),
        office_workers=t.take("office_workers", int, 2),
        office_timeout_seconds=float(t.take("office_timeout_seconds", (int, float), 90)),
        retry_incomplete_minutes=float(t.take("retry_incomplete_minutes", (int, float), 60)),
        send_automatically=t.take("send_automatically", bool, True),
    )
    t.done()
    if pc.max_email_mb <= 0:
        raise ConfigError("pack.max_email_mb: must be more than 0")
    if pc.office_workers < 1:
        raise ConfigError("pack.office_workers: must be at least 1")
    if pc.retry_incomplete_minutes < 0:
        raise ConfigError("pack.retry_incomplete_minutes: must be 0 or more")
    if "\n" in pc.marking or len(pc.marking) > 80:
        raise ConfigError("pack.marking: one line of at most 80 characters")
    return pc


def _web(t: Table) -> WebConfig:
    url = t.take("url", str, "http://127.0.0.1:8000").rstrip("/")
    oidc_raw = t.take("oidc", dict, None)
    w = WebConfig(
        url=url,
        secret_key_env=t.take("secret_key_env", str, "CAREPANEL_SECRET_KEY"),
        secure_cookies=t.take("secure_cookies", bool, url.startswith("https://")),
        max_login_failures=t.take("max_login_failures", int, 5),
        oidc=None,
        trusted_proxies=_proxies(t.strings("trusted_proxies", None, ())),
        idle_timeout_minutes=float(t.take("idle_timeout_minutes", (int, float), 30)),
        session_hours=float(t.take("session_hours", (int, float), 8)),
    )
    t.done()
    if w.idle_timeout_minutes <= 0 or w.session_hours <= 0:
        raise ConfigError("web.idle_timeout_minutes, web.session_hours: must be more than 0")
    if oidc_raw is not None:
        o = Table(oidc_raw, "web.oidc")
        oidc = OidcConfig(issuer=o.take("issuer", str).rstrip("/"), client_id=o.take("client_id", str),
                          client_secret_env=o.take("client_secret_env", str), role_claim=o.take("role_claim", str, "roles"))
        o.done()
        loopback = oidc.issuer.startswith(("http://127.0.0.1", "http://localhost"))
        if not oidc.issuer.startswith("https://") and not loopback:
            raise ConfigError("web.oidc.issuer: must be an https:// URL")
        w = replace(w, oidc=oidc)
    return w


def _proxies(values: tuple[str, ...]) -> tuple[str, ...]:
    import ipaddress

    for v in values:
        try:
            ipaddress.ip_network(v, strict=False)
        except ValueError:
            raise ConfigError(f"web.trusted_proxies: {v!r} is not an IP address or network") from None
    return values


def _retry(t: Table) -> RetryPolicy:
    r = RetryPolicy(
        first_delay_seconds=float(t.take("first_delay_seconds", (int, float), 30)),
        max_delay_seconds=float(t.take("max_delay_seconds", (int, float), 3600)),
    )
    t.done()
    return r


def _retention(t: Table) -> RetentionPolicy:
    r = RetentionPolicy(
        years_after_birth=t.take("years_after_birth", int, 75),
        years_after_receipt=t.take("years_after_receipt", int, 75),
    )
    t.done()
    for key in ("years_after_birth", "years_after_receipt"):
        if getattr(r, key) < 1:
            raise ConfigError(f"retention.{key}: must be at least 1 year")
    return r


def default_config(data_dir: Path, profile: str = DEFAULT_PROFILE) -> Config:
    """A config with every default, for tests and for ``parse`` outside a project folder."""
    return build_config({}, base=data_dir.parent, data_dir=data_dir, profile=profile)
