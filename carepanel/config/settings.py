"""The service's settings as frozen values: one dataclass per table of ``config.toml``.

``read.py`` builds them, once, at start-up; nothing here reads a file.  The council's panel rules
are the profile (``carepanel.profiles``), which ``Config.profile`` holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..profiles import FormSpec, Profile


@dataclass(frozen=True)
class Secret:
    """A value that never shows itself in ``repr`` or logs."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "**********"


@dataclass(frozen=True)
class FolderConfig:
    """``backend = "folder"``: a folder of .eml files that mail rules, scripts or people fill."""

    path: Path | None
    processed_path: Path | None
    failed_path: Path | None
    settle_seconds: float = 1.0  # where no close-after-write event comes: unchanged this long


@dataclass(frozen=True)
class ImapConfig:
    """``backend = "imap"``: a council's own IMAP server (folder levels written with '/')."""

    host: str | None
    username: str | None
    port: int | None = None
    tls: str = "ssl"
    password_env: str | None = None
    password_file: Path | None = None  # alternative to password_env: a file only the service can read
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    failed_folder: str = "carepanel/failed"
    on_processed: str = "move"  # move | flag
    idle: bool = True
    ca_file: Path | None = None  # trust a council's private CA for the server's certificate


@dataclass(frozen=True)
class GraphConfig:
    """``backend = "graph"``: the panel mailbox in Exchange Online, through an Entra app registration."""

    address: str | None
    tenant_id: str | None
    client_id: str | None
    client_secret_env: str | None
    password_file: Path | None = None  # the client secret in a file, instead of client_secret_env
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    # change notifications to this public HTTPS URL (the web app's /graph/notifications)
    notification_url: str | None = None
    notification_secret_env: str | None = None  # the clientState secret
    notification_poll_seconds: float = 900.0  # delta polling still runs, this often, when notifications are on


@dataclass(frozen=True)
class ExchangeConfig:
    """``backend = "exchange"``: an on-premises Exchange Server, through EWS."""

    address: str | None
    service_endpoint: str | None  # the EWS URL; or `server`, giving https://{server}/EWS/Exchange.asmx
    auth: str = "ntlm"  # ntlm | basic | oauth (then tenant_id, client_id, client_secret_env)
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "carepanel/processed"
    exchange_version: str = "Exchange2016"  # fixed, so nothing is probed or autodiscovered
    ca_file: Path | None = None
    # streaming (EWS streaming notifications wake the sync; it falls back to polling by itself) | poll
    notifications: str = "streaming"


BackendConfig = FolderConfig | ImapConfig | GraphConfig | ExchangeConfig
# Each backend's settings, by name (the same classes as mailbox/registry.py's, kept here so that
# reading a configuration does not load the mailbox package).
MAILBOX_SETTINGS: dict[str, type[BackendConfig]] = {
    "folder": FolderConfig, "imap": ImapConfig, "graph": GraphConfig, "exchange": ExchangeConfig}


@dataclass(frozen=True)
class MailboxConfig:
    """``[mailbox]``: which backend, how often to look, and that backend's own settings."""

    backend: str
    poll_seconds: float
    settings: BackendConfig
    # The council's own mail domains: only senders in them are acknowledged (no backscatter to
    # forged outside addresses).  Empty: the domains of the staff directory's addresses.
    internal_domains: tuple[str, ...] = ()

    @property
    def path(self) -> Path | None:
        """The inbox folder, for the folder backend (``None`` for a server mailbox)."""
        return self.settings.path if isinstance(self.settings, FolderConfig) else None

    @property
    def notification_url(self) -> str | None:
        """The Graph webhook's public URL, where the council exposes one (else ``None``)."""
        return self.settings.notification_url if isinstance(self.settings, GraphConfig) else None

    @property
    def notification_secret_env(self) -> str | None:
        return self.settings.notification_secret_env if isinstance(self.settings, GraphConfig) else None


@dataclass(frozen=True)
class OutboxConfig:
    backend: str
    path: Path | None
    from_address: str
    host: str | None = None
    port: int | None = None
    tls: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None


@dataclass(frozen=True)
class NoticeConfig:
    copy_team_manager: bool
    templates_dir: Path | None


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int
    max_attachment_bytes: int
    max_pages: int
    max_decompressed_bytes: int
    parse_timeout_seconds: float
    reader_memory_mb: int = 1536  # the address-space cap of the process that reads attachments


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_seconds: float
    max_delay_seconds: float


@dataclass(frozen=True)
class PackConfig:
    """How packs are built and sent.  ``marking`` is the council's protective marking, printed
    on every page; a pack over ``max_email_mb`` goes as a link to the web app (``link``) or in
    parts that each fit (``split``)."""

    marking: str
    max_email_mb: float
    too_large: str  # link | split
    web_url: str
    office_workers: int
    office_timeout_seconds: float
    # At papers-out, a pack whose papers LibreOffice hung or died on is built again every few
    # minutes for this long before it goes with those papers listed as missing.
    retry_incomplete_minutes: float = 60.0
    # False: the administrator sends each pack by hand (`pack send`, or the web app) after
    # checking it; the service only says, in `carepanel status`, when papers are overdue.
    send_automatically: bool = True


@dataclass(frozen=True)
class OidcConfig:
    """OpenID Connect sign-in (Microsoft Entra ID): the tenant's issuer URL, the app's client id,
    and the name of the environment variable holding its secret (never the secret itself)."""

    issuer: str
    client_id: str
    client_secret_env: str
    role_claim: str = "roles"


@dataclass(frozen=True)
class WebConfig:
    url: str  # how people reach it, for links in emails
    secret_key_env: str  # environment variable with the session key; else a key file in the data dir
    secure_cookies: bool
    max_login_failures: int
    oidc: OidcConfig | None
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    idle_timeout_minutes: float = 30.0  # a session unused this long is ended
    session_hours: float = 8.0  # and every session ends this long after sign-in


@dataclass(frozen=True)
class RetentionPolicy:
    """How long a child's records are kept; the council sets the periods (``[retention]``).

    None of the panels' policies states a period, so the defaults follow the longest
    statutory one that can apply: a looked-after child's case record is kept until the
    75th anniversary of the child's birth (Care Planning, Placement and Case Review (England)
    Regulations 2010, reg. 50).  Keeping too long is the recoverable mistake; purging early
    is not.
    """

    years_after_birth: int = 75
    years_after_receipt: int = 75  # where no child's date of birth is known


@dataclass(frozen=True)
class Config:
    path: Path | None
    base_dir: Path
    data_dir: Path
    profile: Profile
    directory_csv: Path | None
    mailbox: MailboxConfig
    outbox: OutboxConfig
    notices: NoticeConfig
    limits: Limits
    retry: RetryPolicy
    pack: PackConfig
    web: WebConfig
    retention: RetentionPolicy = field(default_factory=lambda: RetentionPolicy())
    # [directory] exchange_groups: role -> distribution list, read from Exchange (exchange_directory.py)
    directory_exchange_groups: tuple[tuple[str, str], ...] = ()  # in the order given: the first list naming someone wins
    directory_refresh_hours: float = 24.0
    # "refuse" (default) or "warn": a data_dir on an SMB/NFS share, where SQLite's locks fail (datadir.py)
    network_data_dir: str = "refuse"
    # [signoff] unproven_sender: what "sent from the manager's address" is worth when the mail
    # system does not prove the sender (refuse | warn | accept); by backend unless set.
    unproven_sender: str = "accept"
    # [backup] recipients: age public keys every backup is encrypted to (backup.py); and
    # identity_file: where `restore` finds the private key when --identity is not given.
    backup_recipients: tuple[str, ...] = ()
    backup_identity_file: Path | None = None
    # [form] file: council forms learned by `carepanel form learn`, recognised beside the built-ins
    learned_forms: tuple[FormSpec, ...] = ()

    def stored_path(self, path: Path) -> str:
        """How a file under the data directory is recorded: relative to it, so a restored
        backup in another place still finds its files."""
        try:
            return str(path.resolve().relative_to(self.data_dir.resolve()))
        except ValueError:
            return str(path)

    def data_path(self, stored: str) -> Path:
        """The file a recorded path names (an absolute one is kept as it is)."""
        return self.data_dir / stored

    @property
    def packs_dir(self) -> Path:
        return self.data_dir / "packs"

    @property
    def decisions_dir(self) -> Path:
        return self.data_dir / "decisions"

    @property
    def uploads_dir(self) -> Path:
        """One folder per signed decision, laid out for the case system's upload."""
        return self.data_dir / "uploads"

    @property
    def decisions_template(self) -> Path | None:
        t = self.profile.decisions.template
        if not t:
            return None
        path = Path(t).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "carepanel.db"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
