"""Throwaway PostgreSQL clusters for tests and benchmarks, and the pytest fixtures built on them.

A cluster lives entirely in one temporary directory (data, unix socket, server log), listens on a free port of
127.0.0.1 only, and is removed when stopped, so tests never touch a machine's own PostgreSQL. Logical decoding
is on (`wal_level=logical`) so CDC tests can create slots. Durability is off (`fsync=off`): nothing here needs
to survive a crash, and tests run much faster without it.

PostgreSQL refuses to run as root, and tests often do (containers, CI): the server binaries then run as the
`postgres` OS user, created when missing. Admin statements go through `psql` on the unix socket as the
`postgres` superuser (trust auth), so this module needs no database driver. Clients under test connect over TCP
as `dockyard` with a password, which lets tests check that the password never reaches any output.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard_tools.testing.services import service_missing

SERVER_USER = "postgres"
TEST_USER = "dockyard"
TEST_PASSWORD = "dockyard-secret-pw"

DEFAULT_SETTINGS: dict[str, str] = {
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "password_encryption": "scram-sha-256",
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresUnavailableError(RuntimeError):
    """The server binaries are missing or the cluster would not start; callers turn this into a skip/fail."""


def find_bin_dir() -> Path | None:
    """The newest installed server's bin directory (Debian layout), or whichever holds `initdb` on PATH."""
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]

    def version(path: Path) -> tuple[int, ...]:
        digits = re.findall(r"\d+", path.parent.name)
        return tuple(int(d) for d in digits)

    if candidates:
        return max(candidates, key=version)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    """A TCP port nobody listens on right now (a race is possible; `start` retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ensure_server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL; names here come from tests, but a stray quote must not break the SQL."""
    return '"' + name.replace('"', '""') + '"'


class PostgresCluster:
    """One throwaway cluster: `start()`, use `connect_params()`/`dsn()`, `stop()` (which deletes everything)."""

    def __init__(
        self,
        *,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
        base_dir: str | Path | None = None,
    ) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.base_dir = Path(base_dir) if base_dir else None
        self.root: Path | None = None
        self.port = 0
        self.host = "127.0.0.1"
        self.user = TEST_USER
        self.password = TEST_PASSWORD

    # -- paths -------------------------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root() / "socket"

    @property
    def log_file(self) -> Path:
        return self._root() / "server.log"

    @property
    def running(self) -> bool:
        return self.root is not None and (self.data_dir / "postmaster.pid").exists()

    def _root(self) -> Path:
        if self.root is None:
            raise RuntimeError("The PostgreSQL cluster has not been started.")
        return self.root

    def _bin(self, name: str) -> str:
        if self.bin_dir is None or not (self.bin_dir / name).exists():
            raise PostgresUnavailableError(
                "PostgreSQL server binaries not found (run `make services`, or apt-get install postgresql)."
            )
        return str(self.bin_dir / name)

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", SERVER_USER, "--", *argv]

    def _run_server_tool(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._as_server_user(argv), capture_output=True, text=True, check=False)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self, attempts: int = 3) -> PostgresCluster:
        """Create and start the cluster; idempotent. Raises PostgresUnavailableError with the server log tail."""
        if self.running:
            return self
        initdb = self._bin("initdb")
        self._bin("pg_ctl")
        owner = _ensure_server_user() if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="dockyard-pg-", dir=self.base_dir))
        self.socket_dir.mkdir()
        if owner is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        initdb_args = ["-D", str(self.data_dir), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--locale=C"]
        result = self._run_server_tool([initdb, *initdb_args, "--no-sync"])
        if result.returncode != 0:
            self._cleanup()
            raise PostgresUnavailableError(f"initdb failed: {result.stderr.strip()[-2000:]}")
        self._write_hba()
        last_error = ""
        for _ in range(attempts):
            self.port = free_port()
            self._write_conf()
            started = self._run_server_tool(
                [self._bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start"]
            )
            if started.returncode == 0:
                self._create_test_user()
                return self
            last_error = self._log_tail() or started.stderr
        self._cleanup()
        raise PostgresUnavailableError(f"PostgreSQL did not start: {last_error.strip()[-2000:]}")

    def stop(self) -> None:
        """Stop the server immediately and delete the data directory; safe to call twice."""
        if self.root is None:
            return
        if self.running:
            self._run_server_tool([self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
        self._cleanup()

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _cleanup(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def _write_conf(self) -> None:
        conf = self.data_dir / "postgresql.auto.conf"
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            *(f"{key} = '{value}'" for key, value in self.settings.items()),
        ]
        # postgresql.auto.conf is read last and owned by the server user already; rewriting it keeps ownership.
        conf.write_text("\n".join(lines) + "\n")

    def _write_hba(self) -> None:
        # Unix socket: trust (admin via psql). TCP: password, so a client under test must really send it.
        (self.data_dir / "pg_hba.conf").write_text(
            "local all all trust\n"
            "local replication all trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host replication all 127.0.0.1/32 scram-sha-256\n"
        )

    def _create_test_user(self) -> None:
        password = self.password.replace("'", "''")
        self.psql(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{self.user}') THEN "
            f"CREATE ROLE {quote_ident(self.user)} LOGIN SUPERUSER REPLICATION PASSWORD '{password}'; "
            "END IF; END$$"
        )

    # -- using it ----------------------------------------------------------------------------------------------
    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the unix socket; returns unaligned, tuples-only output."""
        self._root()
        psql = str(self.bin_dir / "psql") if self.bin_dir and (self.bin_dir / "psql").exists() else "psql"
        argv = [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir)]
        result = subprocess.run(
            [*argv, "-p", str(self.port), "-U", SERVER_USER, "-d", database],
            input=sql,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on database {database}: {result.stderr.strip()}")
        return result.stdout

    def connect_params(self, database: str = "postgres") -> dict[str, Any]:
        """Keyword arguments for psycopg2.connect (TCP, password user)."""
        return {"host": self.host, "port": self.port, "dbname": database, "user": self.user, "password": self.password}

    def config(self, database: str = "postgres") -> dict[str, Any]:
        """A connector-style config: host, port, database, username, password."""
        return {
            "host": self.host,
            "port": self.port,
            "database": database,
            "username": self.user,
            "password": self.password,
        }

    def dsn(self, database: str = "postgres") -> str:
        """A libpq keyword/value connection string (contains the password)."""
        return f"host={self.host} port={self.port} dbname={database} user={self.user} password={self.password}"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy/psql URL (contains the password)."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs: Any) -> Any:
        """A psycopg2 connection as the password user; psycopg2 is imported here so this module needs no driver."""
        import psycopg2

        return psycopg2.connect(**self.connect_params(database), **kwargs)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh random name by default) and return its name."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        if not _IDENTIFIER.match(name):
            raise ValueError(f"Database name {name!r} is not a plain identifier.")
        self.psql(f"CREATE DATABASE {quote_ident(name)} OWNER {quote_ident(self.user)}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database and the logical replication slots in it (which would otherwise block the drop)."""
        literal = name.replace("'", "''")
        self.psql(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
            f"WHERE database = '{literal}' AND active_pid IS NOT NULL;"
            f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{literal}';"
        )
        self.psql(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def start_cluster_or_skip(settings: Mapping[str, str] | None = None) -> PostgresCluster:
    """Start a cluster, or skip (locally) / fail (CI) the calling test when PostgreSQL is unavailable."""
    cluster = PostgresCluster(settings=settings)
    try:
        return cluster.start()
    except PostgresUnavailableError as exc:
        service_missing("postgresql", str(exc))
        raise  # pragma: no cover - service_missing always raises


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One cluster for the whole test session, torn down (and its directory removed) at the end."""
    cluster = start_cluster_or_skip()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_db(postgres_cluster: PostgresCluster) -> Iterator[dict[str, Any]]:
    """A fresh, empty database per test: host, port, database, username, password (dropped afterwards)."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.config(name)
    finally:
        postgres_cluster.drop_database(name)
