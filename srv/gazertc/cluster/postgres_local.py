"""A throwaway PostgreSQL server: tests, ``make cluster`` and trying the cluster on one machine.

``LocalPostgres(data_dir)`` runs ``initdb`` into ``data_dir/pgdata`` (trust authentication, a
superuser named ``gazertc``), starts ``postgres`` as a child process listening on 127.0.0.1 only
(TCP only: no unix socket, whose path length is limited and whose default directory needs root),
creates the database ``gazertc`` and gives its ``dsn``. Durability is switched off (``fsync``):
the data is thrown away with the directory. Not for production: anyone on this machine can log in.

PostgreSQL refuses to run as root. Run as root, the server runs unprivileged: preferably in a user
namespace that maps root to ``nobody`` (the files stay root's, so any directory works); where user
namespaces are not allowed, as ``nobody`` through ``setpriv`` with the data directory handed over
to it (then every parent of ``data_dir`` must let ``nobody`` through).

Errors::

    RuntimeError
    └── LocalPostgresError
        ├── PostgresNotFoundError    no PostgreSQL binaries (``make postgresql`` installs them)
        └── PostgresStartError       initdb, start or createdb failed (with the log's tail)
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

__all__ = [
    "DATABASE_NAME",
    "SUPERUSER_NAME",
    "LocalPostgres",
    "LocalPostgresError",
    "PostgresNotFoundError",
    "PostgresStartError",
    "find_postgres_bindir",
]

logger = logging.getLogger(__name__)

DATABASE_NAME = "gazertc"
SUPERUSER_NAME = "gazertc"
POSTGRES_BINDIR_GLOB = "/usr/lib/postgresql/*/bin"
REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres")
# initdb plus a first start take a few seconds on a loaded two-core machine; 60 s means stuck.
START_TIMEOUT_SECONDS = 60.0
# A fast shutdown ends within a second or two; past this the server is killed.
STOP_TIMEOUT_SECONDS = 20.0
READY_POLL_INTERVAL_SECONDS = 0.1
# An automatically chosen port can be taken between choosing and binding; so many tries.
PORT_ATTEMPTS = 3
LOG_TAIL_CHARS = 2000
# nobody/nogroup on Debian: the unprivileged user the server runs as when we are root.
UNPRIVILEGED_UID = 65534
UNPRIVILEGED_GID = 65534
# postmaster.pid: line 1 the server's pid, line 8 (index 7) its status ("ready" once it serves).
POSTMASTER_PID_STATUS_LINE = 7


class LocalPostgresError(RuntimeError):
    """A throwaway PostgreSQL server could not be provided."""


class PostgresNotFoundError(LocalPostgresError):
    """No PostgreSQL server binaries on this machine."""


class PostgresStartError(LocalPostgresError):
    """initdb, the server's start or the database's creation failed."""


def find_postgres_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None.

    ``pg_ctl`` on PATH first (its real directory, as Debian links only some programs into
    PATH), else the newest ``/usr/lib/postgresql/<version>/bin`` that holds all three.
    """
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        bindir = Path(on_path).resolve().parent
        if _holds_server_programs(bindir):
            return bindir
    candidates = [Path(p) for p in sorted(Path("/").glob(POSTGRES_BINDIR_GLOB.lstrip("/")))]
    for bindir in sorted(candidates, key=_major_version, reverse=True):
        if _holds_server_programs(bindir):
            return bindir
    return None


def _holds_server_programs(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_PROGRAMS)


def _major_version(bindir: Path) -> int:
    match = re.fullmatch(r"\d+", bindir.parent.name)
    return int(match.group()) if match else -1


class LocalPostgres:
    """A PostgreSQL server in ``data_dir``, on 127.0.0.1:``port`` (a free port when None).

    Use as a context manager, or ``start()`` then ``stop()`` (idempotent). ``dsn`` is
    ``postgresql://gazertc@127.0.0.1:<port>/gazertc`` once started.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._requested_port = port
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._bindir: Path | None = None

    @property
    def port(self) -> int:
        """The port the running server listens on."""
        if self._port is None or self._process is None:
            raise LocalPostgresError("the PostgreSQL server is not running; call start() first")
        return self._port

    @property
    def dsn(self) -> str:
        """Connection URL of the ``gazertc`` database (no password: trust authentication)."""
        return f"postgresql://{SUPERUSER_NAME}@127.0.0.1:{self.port}/{DATABASE_NAME}"

    @property
    def log_path(self) -> Path:
        """The server's log (its stdout and stderr)."""
        return self.data_dir / "postgres.log"

    @property
    def _pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def start(self) -> None:
        """initdb (first time only), start the server, create the database.

        Raises:
            PostgresNotFoundError: no PostgreSQL binaries.
            PostgresStartError: a step failed; the message carries the log's tail.
        """
        if self._process is not None:
            raise LocalPostgresError("the PostgreSQL server is already running")
        bindir = find_postgres_bindir()
        if bindir is None:
            raise PostgresNotFoundError(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or in "
                f"{POSTGRES_BINDIR_GLOB}; install them with `make postgresql` "
                "(Debian package postgresql)"
            )
        self._bindir = bindir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        prefix = _unprivileged_prefix()
        if not (self._pgdata / "PG_VERSION").exists():
            self._initdb(prefix)
        attempts = 1 if self._requested_port is not None else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or _free_local_port()
            if self._try_start(prefix, port, last_attempt=attempt == attempts):
                break
        self._create_database()
        logger.info("throwaway PostgreSQL on 127.0.0.1:%d (%s)", self.port, self.data_dir)

    def stop(self) -> None:
        """Fast shutdown (disconnects clients); idempotent, also after a failed start."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("PostgreSQL did not stop in %.0f s; killing it", STOP_TIMEOUT_SECONDS)
            process.kill()
            process.wait()

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _program(self, name: str) -> str:
        assert self._bindir is not None
        return str(self._bindir / name)

    def _initdb(self, prefix: list[str]) -> None:
        self._pgdata.mkdir(mode=0o700, exist_ok=True)
        if prefix and prefix[0] == "setpriv":
            _hand_over(self.data_dir)
        command = [
            *prefix,
            self._program("initdb"),
            f"--pgdata={self._pgdata}",
            f"--username={SUPERUSER_NAME}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
        with self.log_path.open("ab") as log:
            result = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, env=_clean_env(), check=False
            )
        if result.returncode != 0:
            raise PostgresStartError(f"initdb failed ({result.returncode}): {self._log_tail()}")

    def _try_start(self, prefix: list[str], port: int, *, last_attempt: bool) -> bool:
        command = [
            *prefix,
            self._program("postgres"),
            "-D",
            str(self._pgdata),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
        ]
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=_clean_env()
            )
        self._process, self._port = process, port
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._process = None
                if not last_attempt and "could not bind" in self._log_text(log_offset):
                    return False
                raise PostgresStartError(
                    f"postgres exited ({process.returncode}) while starting: {self._log_tail()}"
                )
            if self._ready(process):
                return True
            time.sleep(READY_POLL_INTERVAL_SECONDS)
        self.stop()
        raise PostgresStartError(
            f"postgres not ready within {START_TIMEOUT_SECONDS:.0f} s: {self._log_tail()}"
        )

    def _ready(self, process: subprocess.Popen[bytes]) -> bool:
        """Whether *our* server accepts connections (its postmaster.pid says so).

        Not a connection attempt: another server on the same port would answer it.
        """
        try:
            lines = (self._pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return (
            len(lines) > POSTMASTER_PID_STATUS_LINE
            and lines[0].strip() == str(process.pid)
            and lines[POSTMASTER_PID_STATUS_LINE].strip() == "ready"
        )

    def _create_database(self) -> None:
        psql = [self._program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        target = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER_NAME]
        exists = subprocess.run(
            [*psql, *target, "-d", "postgres", "-tA", "-c", _database_exists_query()],
            capture_output=True,
            env=_clean_env(),
            check=False,
        )
        if exists.returncode == 0 and exists.stdout.strip() == b"1":
            return
        created = subprocess.run(
            [self._program("createdb"), *target, DATABASE_NAME],
            capture_output=True,
            env=_clean_env(),
            check=False,
        )
        if created.returncode != 0:
            self.stop()
            message = created.stderr.decode(errors="replace").strip()
            raise PostgresStartError(f"createdb {DATABASE_NAME} failed: {message}")

    def _log_text(self, offset: int = 0) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def _log_tail(self) -> str:
        return self._log_text()[-LOG_TAIL_CHARS:].strip() or f"(nothing in {self.log_path})"


def _database_exists_query() -> str:
    return f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"


def _free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    """Our environment without PG* variables, which would redirect the client programs."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _unprivileged_prefix() -> list[str]:
    """The command prefix that runs a PostgreSQL program as a non-root user ([] if not root)."""
    if os.geteuid() != 0:
        return []
    namespace = [
        "unshare",
        "--user",
        f"--map-user={UNPRIVILEGED_UID}",
        f"--map-group={UNPRIVILEGED_GID}",
        "--",
    ]
    if _user_namespaces_work(tuple(namespace)):
        return namespace
    if shutil.which("setpriv") is None:
        raise PostgresStartError(
            "running as root, and neither user namespaces (unshare) nor setpriv are available "
            "to run PostgreSQL as an unprivileged user; run as a normal user instead"
        )
    return [
        "setpriv",
        f"--reuid={UNPRIVILEGED_UID}",
        f"--regid={UNPRIVILEGED_GID}",
        "--clear-groups",
        "--",
    ]


@functools.cache
def _user_namespaces_work(prefix: tuple[str, ...]) -> bool:
    if shutil.which(prefix[0]) is None:
        return False
    result = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    return result.returncode == 0


def _hand_over(data_dir: Path) -> None:
    """Give ``data_dir`` to the unprivileged user (the setpriv fallback), checking its parents."""
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, UNPRIVILEGED_UID, UNPRIVILEGED_GID)
    for parent in data_dir.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            raise PostgresStartError(
                f"{parent} does not let other users through (mode {mode & 0o777:o}), so PostgreSQL "
                f"running as uid {UNPRIVILEGED_UID} cannot reach {data_dir}; choose a data "
                "directory under /tmp or run as a normal user"
            )
