"""A private Dovecot IMAP server on loopback, shaped like Proton Mail Bridge.

Everything comes from a config file generated here (nothing from ``/etc/dovecot``): plain
``LOGIN`` and ``STARTTLS`` on one port, optionally implicit TLS on a second one, a self-signed
EC certificate for ``127.0.0.1`` that clients can use as ``cafile``, and one user with a
Maildir. Runs as root (mail processes then run as the packaged ``dovecot`` user) or as an
ordinary user (everything runs as that user).

    with Dovecot(tmp_path) as server:
        client = server.connect(starttls=True)
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

LOOPBACK = "127.0.0.1"

_LIBEXEC_CANDIDATES = (
    "/usr/lib/dovecot",  # Debian, Ubuntu
    "/usr/libexec/dovecot",  # Fedora, RHEL, Arch
    "/usr/local/libexec/dovecot",  # source builds, FreeBSD
    "/opt/homebrew/opt/dovecot/libexec/dovecot",
    "/usr/local/opt/dovecot/libexec/dovecot",
)

_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./+-]+$")  # goes into dovecot.conf unquoted

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3
prompt = no
[dn]
CN = {cn}
O = tdl-inbox test server
[v3]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


# ------------------------------------------------------------------------------- helpers
def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (bind to port 0, read it back, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def make_self_signed_cert(directory: Path, common_name: str = LOOPBACK) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (EC P-256, SAN IP:127.0.0.1) into *directory*.

    The certificate is its own CA (``CA:TRUE``), so it works as a client's ``cafile``.
    Uses the ``openssl`` command line tool; returns ``(cert, key)``. Idempotent.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command line tool is not installed")
    config = directory / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG.format(cn=common_name))
    result = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-config",
            str(config),
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "3650",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl req failed: {result.stderr.strip()}")
    key.chmod(0o600)
    return cert, key


def make_traversable(path: Path, *, allowed_root: Path | None = None) -> None:
    """Give 'others' search (``x``) permission on *path* and every parent that lacks it.

    Needed when running as root: the servers drop to system users (``dovecot``,
    ``postgres``) that must reach their files, and ``mkdtemp``/pytest create 0700
    directories. Only directories below *allowed_root* (default: the system temp dir) are
    changed; anything else that blocks the way raises ``PermissionError``.
    """
    root = (allowed_root or Path(tempfile.gettempdir())).resolve()
    path = path.resolve()
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if mode & 0o001:
            continue
        if directory == root or root in directory.parents:
            directory.chmod(mode | 0o001)
        else:
            raise PermissionError(
                f"{directory} (mode {mode & 0o7777:o}) is not traversable by other users; "
                f"put the server directory below {root} or chmod o+x it"
            )


def process_group_members(pgid: int) -> list[int]:
    """Pids of the live processes in process group *pgid* (Linux ``/proc``; [] elsewhere)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ... ; comm may contain spaces and parentheses
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):  # zombies are dead
            members.append(int(entry.parent.name))
    return members


def kill_process_group(
    proc: subprocess.Popen[bytes], *, grace: float = 1.0, lone_leader: float = 0.1
) -> None:
    """Stop the process group led by *proc* and reap *proc*.

    SIGCONT (in case it was paused) and SIGTERM go to the whole group at once (much faster
    than letting Dovecot's master shut its children down one by one). Whatever is still
    alive after *grace* seconds gets SIGKILL, and so does the leader once it has been alone
    for *lone_leader* seconds (Dovecot's master sometimes sleeps a second after its children
    are gone, with nothing left to do). *proc* must have been started with
    ``start_new_session=True``.
    """
    pgid = proc.pid
    if proc.poll() is None:
        for sig in (signal.SIGCONT, signal.SIGTERM):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
    start = time.monotonic()
    alone_since: float | None = None
    while (now := time.monotonic()) - start < grace:
        leader_alive = proc.poll() is None
        others = [pid for pid in process_group_members(pgid) if pid != pgid]
        if not leader_alive and not others:
            break
        if leader_alive and not others:
            alone_since = alone_since or now
            if now - alone_since >= lone_leader:
                break
        time.sleep(0.005)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    proc.wait()
    for pid in process_group_members(pgid):  # children that outlived their leader
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _find_dovecot() -> tuple[str | None, str | None]:
    """(path of the ``dovecot`` binary, directory holding the ``imap`` binary)."""
    binary = shutil.which("dovecot") or shutil.which(
        "dovecot", path="/usr/sbin:/usr/local/sbin:/opt/homebrew/sbin"
    )
    libexec_candidates = list(_LIBEXEC_CANDIDATES)
    if binary:
        prefix = Path(binary).resolve().parent.parent
        libexec_candidates[:0] = [str(prefix / "lib/dovecot"), str(prefix / "libexec/dovecot")]
    libexec = next((d for d in libexec_candidates if os.access(f"{d}/imap", os.X_OK)), None)
    return binary, libexec


# The longest socket Dovecot makes under its run directory is token-login/imap-urlauth.
MAX_RUN_DIR = 107 - len("/token-login/imap-urlauth")


# ------------------------------------------------------------------------------- server
class Dovecot:
    """A private Dovecot instance living in *base_dir*.

    Attributes after ``start()``: ``host``, ``port`` (plain + STARTTLS), ``tls_port``
    (implicit TLS, ``None`` unless *implicit_tls*), ``cafile``, ``username``,
    ``password``, ``maildir``, ``log_path``, ``mail_uid``/``mail_gid`` (owner of the Maildir).
    """

    def __init__(
        self,
        base_dir: Path | str,
        *,
        username: str = "course",
        password: str = "secret",
        implicit_tls: bool = True,
        mail_fsync: str = "optimized",
        extra_conf: str = "",
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        if not _SAFE_PATH.match(str(self.base_dir)):
            raise ValueError(f"base_dir must be a plain path (no spaces etc.): {self.base_dir}")
        self.host = LOOPBACK
        self.port = 0
        self.tls_port: int | None = None
        self.username = username
        self.password = password
        self._implicit_tls = implicit_tls
        self._mail_fsync = mail_fsync
        self._extra_conf = extra_conf
        self._proc: subprocess.Popen[bytes] | None = None
        self._paused = False
        self.conf_path = self.base_dir / "dovecot.conf"
        self.run_dir = self.base_dir / "run"
        if len(str(self.run_dir)) > MAX_RUN_DIR:
            # Dovecot's sockets live here and a socket path is limited to 107 bytes: a deep
            # temporary directory (a long TMPDIR, pytest's per-test folders) gets a short one.
            self.run_dir = Path(tempfile.mkdtemp(prefix="tdl-dovecot-", dir="/tmp"))
        self.log_path = self.base_dir / "log" / "dovecot.log"
        self.home = self.base_dir / "mail" / username
        self.maildir = self.home / "Maildir"
        self.cafile = self.base_dir / "tls" / "cert.pem"
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("dovecot") if _user_exists("dovecot") else None
            self.mail_uid = mail_user.pw_uid if mail_user else 0
            self.mail_gid = mail_user.pw_gid if mail_user else 0
        else:
            self.mail_uid, self.mail_gid = os.geteuid(), os.getegid()

    # ---------------------------------------------------------------- availability
    @classmethod
    def available(cls) -> str | None:
        """``None`` if a private Dovecot can be started here, else the reason why not."""
        binary, libexec = _find_dovecot()
        hint = "install it with scripts/install-test-servers.sh (as root)"
        if binary is None:
            return f"dovecot is not installed; {hint}"
        if libexec is None:
            return f"the dovecot imap binary (package dovecot-imapd) is missing; {hint}"
        if shutil.which("openssl") is None:
            return "the openssl command line tool is not installed"
        if os.geteuid() == 0:
            missing = [u for u in ("dovecot", "dovenull") if not _user_exists(u)]
            if missing:
                return f"running as root but system user(s) {', '.join(missing)} do not exist"
        return None

    # ---------------------------------------------------------------- lifecycle
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 15.0) -> None:
        """Generate the config and start Dovecot; returns once it serves its greeting."""
        if self.running:
            return
        reason = self.available()
        if reason is not None:
            raise RuntimeError(reason)
        self._prepare_files()
        last_error = ""
        for _attempt in range(3):  # a free port may be grabbed by someone else meanwhile
            self.port = free_port()
            self.tls_port = free_port() if self._implicit_tls else None
            self._write_config()
            try:
                self._launch(timeout)
                return
            except RuntimeError as exc:
                last_error = str(exc)
                if "in use" not in last_error:
                    break
        raise RuntimeError(last_error)

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL after 1 s); idempotent."""
        if self._proc is None:
            return
        kill_process_group(self._proc, grace=1.0)
        self._proc = None
        self._paused = False
        if not self.run_dir.is_relative_to(self.base_dir):
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_files(self) -> None:
        root = os.geteuid() == 0
        for sub in ("run", "state", "log", "tls"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o755)
        self.run_dir.chmod(0o755)
        if root:  # the dovecot/dovenull users must reach base_dir
            make_traversable(self.base_dir)
            make_traversable(self.run_dir)
        make_self_signed_cert(self.base_dir / "tls")
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        if root:
            for directory, _dirs, files in os.walk(self.base_dir / "mail"):
                os.chown(directory, self.mail_uid, self.mail_gid)
                for name in files:
                    os.chown(os.path.join(directory, name), self.mail_uid, self.mail_gid)
        users = self.base_dir / "users"
        # passwd-file: user:password:uid:gid:(gecos):home:(shell):extra
        users.write_text(
            f"{self.username}:{{PLAIN}}{self.password}:{self.mail_uid}:{self.mail_gid}"
            f"::{self.home}::\n"
        )
        users.chmod(0o640)
        if root:  # read by the auth process, which runs as the dovecot user
            os.chown(users, 0, self.mail_gid)

    def _write_config(self) -> None:
        root = os.geteuid() == 0
        if root:
            internal_user, login_user = "dovecot", "dovenull"
            internal_group = grp.getgrgid(pwd.getpwnam("dovecot").pw_gid).gr_name
        else:
            internal_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
            internal_group = grp.getgrgid(os.getegid()).gr_name
        _binary, libexec = _find_dovecot()
        no_chroot = ""
        if not root:  # chroot() needs root
            no_chroot = "".join(
                f"service {svc} {{\n  chroot =\n}}\n"
                for svc in ("anvil", "imap-login", "imap-urlauth-login", "ipc")
            )
        d = self.base_dir
        self.conf_path.write_text(
            f"""\
# generated by tdl_inbox_dev/dovecot.py -- private test instance, no /etc/dovecot
instance_name = tdl-test-dovecot-{self.port}
base_dir = {self.run_dir}
state_dir = {d}/state
libexec_dir = {libexec}
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap
listen = {LOOPBACK}
shutdown_clients = yes
version_ignore = yes

default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1

ssl = yes
ssl_cert = <{self.cafile}
ssl_key = <{d}/tls/key.pem
ssl_min_protocol = TLSv1.2
# plaintext LOGIN also without STARTTLS (loopback only), like Proton Mail Bridge
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
}}

mail_location = maildir:~/Maildir
mail_fsync = {self._mail_fsync}
mailbox_list_index = yes
namespace inbox {{
  inbox = yes
  separator = /
}}

protocol imap {{
  mail_max_userip_connections = 500
  imap_idle_notify_interval = 2 mins
}}

service imap-login {{
  inet_listener imap {{
    address = {LOOPBACK}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {LOOPBACK}
    port = {self.tls_port or 0}
    ssl = yes
  }}
}}
service imap {{
  process_limit = 512
}}
{no_chroot}{self._extra_conf}
"""
        )

    def _launch(self, timeout: float) -> None:
        binary, _libexec = _find_dovecot()
        assert binary is not None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        console = self.base_dir / "log" / "master.out"
        with console.open("ab") as out:
            # -F: stay in the foreground so we own the process; new session so pause()
            # and stop() can signal the master and all its children as one group.
            self._proc = subprocess.Popen(
                [binary, "-F", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.base_dir,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"dovecot exited during start-up:\n{self._log_tail(offset)}")
            if self._greets():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"dovecot did not come up in {timeout} s:\n{self._log_tail(offset)}"
                )
            time.sleep(0.01)

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                return sock.recv(4) == b"* OK"
        except OSError:
            return False

    def _log_tail(self, offset: int = 0) -> str:
        text = ""
        for path in (self.base_dir / "log" / "master.out", self.log_path):
            if path.exists():
                text += path.read_bytes()[offset if path == self.log_path else 0 :].decode(
                    "utf-8", "replace"
                )
        lines = text.splitlines()[-30:]
        if any("Address already in use" in line for line in lines):
            lines.append("(port in use)")
        return "\n".join(lines)

    # ---------------------------------------------------------------- clients
    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def connect(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        login: bool = True,
        timeout: float = 10.0,
    ) -> IMAPClient:
        """A logged-in ``IMAPClient`` (``normalise_times`` off, imaplib debug off).

        The caller must ``logout()`` it (or use it as a context manager).
        """
        if implicit_tls:
            if self.tls_port is None:
                raise RuntimeError("started without implicit_tls")
            client = IMAPClient(
                self.host, self.tls_port, ssl=True, ssl_context=self.ssl_context(), timeout=timeout
            )
        else:
            client = IMAPClient(self.host, self.port, ssl=False, timeout=timeout)
        try:
            client._imap.debug = 0
            client.normalise_times = False
            if starttls:
                client.starttls(self.ssl_context())
            if login:
                client.login(self.username, self.password)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def doveadm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``doveadm -c <our config> ARGS`` (e.g. ``"mailbox", "status", ...``)."""
        doveadm = shutil.which("doveadm") or shutil.which("doveadm", path="/usr/bin:/usr/sbin")
        if doveadm is None:
            raise RuntimeError("doveadm is not installed")
        result = subprocess.run(
            [doveadm, "-c", str(self.conf_path), *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"doveadm {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result

    # ---------------------------------------------------------------- mailbox state
    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connect() as client:
            value: int = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        return value

    def reset_mailbox(self, folder: str = "INBOX") -> int:
        """Empty *folder*, give it a new UIDVALIDITY and restart its UIDs at 1.

        Returns the new UIDVALIDITY. Folders other than INBOX are deleted and re-created
        over IMAP (sessions elsewhere are told by Dovecot as usual). INBOX cannot be deleted
        or renamed in IMAP, so for it every session of the user is disconnected first
        (``kick()``, like a Bridge re-sync) and the Maildir's messages and Dovecot's index
        and UID list files are removed; Dovecot then rebuilds them with a new UIDVALIDITY.
        """
        before = self.uidvalidity(folder)
        if folder.upper() == "INBOX":
            self.kick()
            self._wipe_inbox()
        else:
            with self.connect() as client:
                client.delete_folder(folder)
                client.create_folder(folder)
        after = self.uidvalidity(folder)
        if after == before:
            raise RuntimeError(f"UIDVALIDITY of {folder!r} did not change ({after})")
        return after

    def kick(self, timeout: float = 5.0) -> None:
        """Disconnect every IMAP session (server side) and wait until they are gone.

        Clients see the connection closed (after ``* BYE Server shutting down.``). Done by
        SIGTERM to this instance's ``imap`` processes, which is what ``doveadm kick`` does,
        minus its race with sessions that logged in a moment ago. Linux only (``/proc``).
        """
        if self._proc is None:
            raise RuntimeError("dovecot is not running")
        deadline = time.monotonic() + timeout
        while sessions := self._imap_pids():
            if time.monotonic() > deadline:
                raise RuntimeError(f"IMAP session processes {sessions} survived SIGTERM")
            for pid in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            time.sleep(0.005)

    def _imap_pids(self) -> list[int]:
        """Pids of this instance's ``imap`` (session) processes."""
        if self._proc is None:
            return []
        _binary, libexec = _find_dovecot()
        imap = os.path.realpath(f"{libexec}/imap")
        pids = []
        for pid in process_group_members(self._proc.pid):
            with contextlib.suppress(OSError):
                if os.path.realpath(f"/proc/{pid}/exe") == imap:
                    pids.append(pid)
        return pids

    def _wipe_inbox(self) -> None:
        for sub in ("cur", "new", "tmp"):
            for entry in (self.maildir / sub).iterdir():
                entry.unlink()
        for entry in self.maildir.iterdir():
            if entry.is_file() and entry.name.startswith(
                ("dovecot-uidlist", "dovecot.index", "dovecot.list.index", "dovecot-keywords")
            ):
                entry.unlink()

    # ---------------------------------------------------------------- misbehaviour
    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """SIGSTOP the master and all its processes: connections are accepted by the kernel
        (listen backlog) but nothing is ever answered. Undo with ``resume()``."""
        if not self.running or self._proc is None:
            raise RuntimeError("dovecot is not running")
        if os.getpgid(self._proc.pid) == os.getpgrp():  # never stop ourselves
            raise RuntimeError("dovecot shares our process group")
        os.killpg(self._proc.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        if self._proc is not None and self._paused:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGCONT)
        self._paused = False

    @contextlib.contextmanager
    def paused_server(self) -> Iterator[None]:
        """``with server.paused_server(): ...`` -- resumed on exit, even on errors."""
        self.pause()
        try:
            yield
        finally:
            self.resume()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


__all__ = [
    "LOOPBACK",
    "Dovecot",
    "free_port",
    "kill_process_group",
    "make_self_signed_cert",
    "make_traversable",
    "process_group_members",
]
