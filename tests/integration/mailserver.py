"""A real Dovecot IMAP server (Debian's ``dovecot-imapd``) in a temporary directory, for the email-reply tests.

It runs in the foreground as a child of the test process with a configuration of its own: IMAP only, on
127.0.0.1 and a free port, plaintext login without TLS, one user in a passwd file, a Maildir inside the
temporary directory. Nothing of the system's Dovecot configuration or service is used or touched.
"""

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
IMAP_BINARY = Path("/usr/lib/dovecot/imap")
START_TIMEOUT = 20.0
USERNAME = "amends"
PASSWORD = "replies-secret"  # a throwaway account on 127.0.0.1

# Mail is stored as Debian's "dovecot" user (Dovecot refuses uid 0 for mail); login processes run as
# "dovenull". Both accounts are created by the dovecot-core package.
CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{base}/home/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {base}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/home
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int
    directory: Path
    username: str = USERNAME
    password: str = PASSWORD
    mailbox: str = "INBOX"

    @property
    def url(self) -> str:
        return f"imap://{self.username}:{self.password}@127.0.0.1:{self.port}/{self.mailbox}"

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            connection.login(self.username, self.password)
            yield connection
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                connection.logout()

    def append(self, raw: bytes) -> None:
        """Deliver a message to the mailbox, unseen (as an MTA would)."""
        with self.client() as connection:
            status, data = connection.append(self.mailbox, None, None, raw)
            assert status == "OK", data

    def flags(self) -> list[str]:
        """The flags of every message in the mailbox, in order (read without changing them)."""
        with self.client() as connection:
            connection.select(self.mailbox, readonly=True)
            status, data = connection.fetch("1:*", "(FLAGS)")
            assert status == "OK", data
            return [item.decode() for item in data if isinstance(item, bytes)]


def dovecot_available() -> str:
    """Why Dovecot cannot be used here, or "" when it can."""
    if not DOVECOT.exists() or not IMAP_BINARY.exists():
        return "Dovecot is not installed (Debian package dovecot-imapd)"
    if os.geteuid() != 0:
        return "the Dovecot fixture runs its own master process, which needs root"
    for account in ("dovecot", "dovenull"):
        try:
            pwd.getpwnam(account)
        except KeyError:
            return f"the {account!r} account that dovecot-core creates is missing"
    return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.settimeout(2)
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


@contextlib.contextmanager
def dovecot_running() -> Iterator[Dovecot]:
    """Start Dovecot in a fresh temporary directory, wait until it greets, and stop it afterwards."""
    # Not pytest's tmp_path: its parents are private to root, and Dovecot's unprivileged login processes must
    # reach the sockets under base_dir.
    directory = Path(tempfile.mkdtemp(prefix="amends-dovecot-"))
    directory.chmod(0o755)
    mail_user = pwd.getpwnam("dovecot")
    home = directory / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (directory / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n")
    port = _free_port()
    server = Dovecot(port=port, directory=directory)
    config = directory / "dovecot.conf"
    config.write_text(CONFIG.format(base=directory, port=port))
    output_path = directory / "dovecot.out"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole below
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if process.poll() is not None:
                printed = output_path.read_text(errors="replace")
                raise RuntimeError(f"dovecot exited ({process.returncode}): {printed}\n{server.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not answer on port {port} within {START_TIMEOUT}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)
