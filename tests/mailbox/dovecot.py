"""A real Dovecot IMAP server on loopback, started by the tests in a temporary folder.

Plain Debian dovecot-imapd with a generated config: passwd-file users, Maildir, a self-signed
certificate made with openssl for IMAPS.  Nothing outside the folder is touched.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# How the server keeps folders, and so the hierarchy separator it announces (``LIST "" ""``):
#   "slash"   Maildir++ with the namespace separator set to '/' (what most tests use);
#   "maildir" Dovecot's own default: Maildir++, separator '.' ("carepanel.processed");
#   "fs"      Maildir with LAYOUT=fs: one directory a level, separator '/'.
LAYOUTS = {
    "slash": ("", "separator = /"),
    "maildir": ("", ""),
    "fs": (":LAYOUT=fs", ""),
}


class Dovecot:
    def __init__(self, root: Path, user: str = "panel", password: str = "panel-mailbox-secret",
                 layout: str = "slash") -> None:
        self.root, self.user, self.password = root, user, password
        self.layout = layout
        location_suffix, separator_line = LAYOUTS[layout]
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        for d in ("run", "state", "home"):
            (root / d).mkdir(parents=True, exist_ok=True)
        self.cert, self.key = root / "cert.pem", root / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", str(self.key), "-out", str(self.cert)], check=True, capture_output=True)
        (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
        uid, gid = os.getuid(), os.getgid()
        self.mail_home = root / "home"
        if uid == 0:
            # Dovecot will not keep mail as root: as root (CI), the mail belongs to 'nobody', in a
            # folder that user can reach.
            import pwd
            nobody = pwd.getpwnam("nobody")
            uid, gid = nobody.pw_uid, nobody.pw_gid
            self.mail_home = Path(tempfile.mkdtemp(prefix="carepanel-dovecot-mail-"))
            self.mail_home.chmod(0o755)
            os.chown(self.mail_home, uid, gid)
        (root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.mail_home}/%u/Maildir{location_suffix}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.mail_home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
# The test's folder is private to the user running the tests; let auth read it as that user.
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
namespace inbox {{
  inbox = yes
  {separator_line}
}}
""")

    def start(self) -> None:
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}")

    def cleanup(self) -> None:
        self.stop()
        if self.mail_home != self.root / "home":
            shutil.rmtree(self.mail_home, ignore_errors=True)

    def drop_connections(self) -> int:
        """Kill the server's IMAP sessions, as a network drop or a server restart does to them
        (stopping Dovecot's master alone leaves running sessions answering)."""
        if self.proc is None:
            return 0
        killed = 0
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "imap":
                    os.kill(int(pid), 9)
                    killed += 1
            except (OSError, ValueError):
                pass
        return killed

    def stop(self) -> None:
        self.drop_connections()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def project(self, folder: Path, staff_csv: str, *, password_env: str, extra: str = "") -> Path:
        """A carepanel project folder whose mailbox is this server (IMAPS, our own CA)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "staff.csv").write_text(staff_csv)
        (folder / "config.toml").write_text(f"""
profile = "north-somerset"
data_dir = "data"
[directory]
csv = "staff.csv"
[mailbox]
backend = "imap"
host = "127.0.0.1"
port = {self.imaps_port}
tls = "ssl"
username = "{self.user}"
password_env = "{password_env}"
ca_file = "{self.cert}"
{extra}
[outbox]
backend = "folder"
from_address = "panel@example.gov.uk"
[pack]
send_automatically = false
""")
        return folder / "config.toml"

    def client(self) -> imaplib.IMAP4_SSL:
        ctx = ssl.create_default_context(cafile=str(self.cert))
        c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx)
        c.login(self.user, self.password)
        return c

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox as the mail server's delivery would (IMAP APPEND)."""
        c = self.client()
        try:
            c.append(folder, None, None, raw)
        finally:
            c.logout()

    def reset_uidvalidity(self) -> None:
        """What a server migration or a rebuilt index does: the same mail, new UIDs."""
        self.stop()
        maildir = self.mail_home / self.user / "Maildir"
        for f in list(maildir.glob("dovecot*")):
            f.unlink() if f.is_file() else shutil.rmtree(f)
        time.sleep(1.1)  # UIDVALIDITY is a timestamp: make sure it moves on
        self.start()
