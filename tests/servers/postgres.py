"""A private, throw-away PostgreSQL cluster on loopback for SQLAlchemy tests.

``initdb`` into *base_dir*/data (as the ``postgres`` system user when running as root, since
PostgreSQL refuses to run as root), then ``postgres`` in the foreground on 127.0.0.1 with
a free port, its unix socket in *base_dir*/run, trust authentication and every durability
setting off (test data only).

    with Postgres(tmp_path) as pg:
        url = pg.create_database("t1")   # postgresql+psycopg://postgres@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tdl_inbox_dev.dovecot import LOOPBACK, free_port, make_traversable, process_group_members

if TYPE_CHECKING:
    import psycopg

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_pg_bin() -> Path | None:
    """Directory with ``initdb`` and ``postgres``: $PG_BIN, Debian's newest, or PATH."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.replace(".", "").isdigit()),
            key=lambda p: [int(x) for x in p.name.split(".")],
            reverse=True,
        )
        candidates.extend(v / "bin" for v in versions)
    for tool in ("pg_config", "initdb"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if all(os.access(directory / exe, os.X_OK) for exe in ("initdb", "postgres")):
            return directory
    return None


class Postgres:
    """A private PostgreSQL cluster in *base_dir*. ``url`` is a SQLAlchemy URL of the
    ``postgres`` database; ``create_database()`` makes more."""

    def __init__(
        self,
        base_dir: Path | str,
        *,
        user: str = "postgres",
        timezone: str = "UTC",
        extra_settings: dict[str, str] | None = None,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.host = LOOPBACK
        self.port = 0
        self.user = user
        self.dbname = "postgres"
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "run"
        self.log_path = self.base_dir / "log" / "postgres.log"
        self._timezone = timezone
        self._extra = dict(extra_settings or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._bin = find_pg_bin()

    # ---------------------------------------------------------------- availability
    @classmethod
    def available(cls) -> str | None:
        """``None`` if a private cluster can be started here, else the reason why not."""
        if find_pg_bin() is None:
            return (
                "PostgreSQL server binaries (initdb, postgres) not found; install the "
                "postgresql package (scripts/install-test-servers.sh) or set PG_BIN"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "psycopg is not installed (pip install 'psycopg[binary]')"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root but there is no 'postgres' system user to run the server"
        return None

    # ---------------------------------------------------------------- URLs
    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database."""
        return self.url_for(self.dbname)

    @property
    def dsn(self) -> str:
        """libpq connection string (for psycopg or psql) of the ``postgres`` database."""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"

    # ---------------------------------------------------------------- lifecycle
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        if self.running:
            return
        reason = self.available()
        if reason is not None:
            raise RuntimeError(reason)
        self._prepare()
        last_error = ""
        for _attempt in range(3):  # the free port may be taken by someone else meanwhile
            self.port = free_port()
            try:
                self._launch(timeout)
                return
            except RuntimeError as exc:
                last_error = str(exc)
                if "already in use" not in last_error:
                    break
        raise RuntimeError(last_error)

    def stop(self) -> None:
        """Immediate shutdown (SIGQUIT; SIGKILL after 5 s); idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGQUIT)  # immediate shutdown: nothing to keep
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for pid in process_group_members(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> Postgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _owner_kwargs(self) -> dict[str, Any]:
        """subprocess arguments that run a command as the cluster owner."""
        if os.geteuid() != 0:
            return {}
        owner = pwd.getpwnam("postgres")
        return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
        env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")
        if os.geteuid() == 0:
            env.update(HOME=str(self.base_dir), USER="postgres", LOGNAME="postgres")
        return env

    def _prepare(self) -> None:
        assert self._bin is not None
        for directory in (self.base_dir, self.socket_dir, self.log_path.parent):
            directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            make_traversable(self.base_dir)
            owner = pwd.getpwnam("postgres")
            for directory in (self.base_dir, self.socket_dir, self.log_path.parent):
                os.chown(directory, owner.pw_uid, owner.pw_gid)
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(self._bin / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                self.user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.base_dir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            **self._owner_kwargs(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def _settings(self) -> dict[str, str]:
        settings = {
            "port": str(self.port),
            "listen_addresses": LOOPBACK,
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "64MB",
            "TimeZone": self._timezone,
            "log_min_messages": "warning",
            "log_checkpoints": "off",
            "logging_collector": "off",
        }
        settings.update(self._extra)
        return settings

    def _launch(self, timeout: float) -> None:
        assert self._bin is not None
        args = [str(self._bin / "postgres"), "-D", str(self.data_dir)]
        for key, value in self._settings().items():
            args += ["-c", f"{key}={value}"]
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.base_dir,
                env=self._env(),
                **self._owner_kwargs(),
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"postgres exited during start-up:\n{self._log_tail(offset)}")
            if self._accepts_connections():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not come up in {timeout} s:\n{self._log_tail()}")
            time.sleep(0.01)

    def _accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _log_tail(self, offset: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_bytes()[offset:].decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-30:])

    # ---------------------------------------------------------------- databases
    def connect(self, dbname: str | None = None) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection (close it, e.g. ``with pg.connect() as c``)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.dbname,
            autocommit=True,
        )

    def create_database(self, name: str) -> str:
        """``CREATE DATABASE name`` (lower-case identifier); returns its SQLAlchemy URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop *name*, terminating any connections still open to it."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


__all__ = ["Postgres", "find_pg_bin"]
