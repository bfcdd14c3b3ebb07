"""The throwaway PostgreSQL cluster manager that connector tests build on."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from dockyard_tools.testing.postgres import (
    TEST_PASSWORD,
    PostgresCluster,
    PostgresUnavailableError,
    find_bin_dir,
    start_cluster_or_skip,
)
from dockyard_tools.testing.services import service_missing

pytestmark = pytest.mark.postgres


def test_cluster_has_logical_decoding_settings(postgres_cluster: PostgresCluster) -> None:
    out = postgres_cluster.psql(
        "SELECT current_setting('wal_level'), current_setting('max_replication_slots'), current_setting('fsync')"
    )
    assert out.strip() == "logical|10|off"


def test_cluster_listens_only_on_loopback_with_socket_in_its_own_dir(postgres_cluster: PostgresCluster) -> None:
    out = postgres_cluster.psql("SELECT current_setting('listen_addresses'), current_setting('port')")
    assert out.strip() == f"127.0.0.1|{postgres_cluster.port}"
    assert postgres_cluster.root is not None
    assert any(p.name.startswith(".s.PGSQL.") for p in postgres_cluster.socket_dir.iterdir())


def test_password_user_is_superuser_with_replication(postgres_cluster: PostgresCluster) -> None:
    out = postgres_cluster.psql("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = 'dockyard'")
    assert out.strip() == "t|t"


def test_tcp_login_requires_the_password(postgres_cluster: PostgresCluster) -> None:
    bin_dir = postgres_cluster.bin_dir
    assert bin_dir is not None
    base = [str(bin_dir / "psql"), "-X", "-w", "-h", "127.0.0.1", "-p", str(postgres_cluster.port), "-U", "dockyard"]
    base += ["-d", "postgres", "-tAc", "SELECT 1"]
    wrong = subprocess.run(base, capture_output=True, text=True, env={"PGPASSWORD": "not-the-password"})
    assert wrong.returncode != 0
    assert "password authentication failed" in wrong.stderr
    right = subprocess.run(base, capture_output=True, text=True, env={"PGPASSWORD": TEST_PASSWORD})
    assert right.returncode == 0, right.stderr
    assert right.stdout.strip() == "1"


def test_postgres_db_is_fresh_and_dropped_afterwards(postgres_cluster: PostgresCluster) -> None:
    name = postgres_cluster.create_database()
    postgres_cluster.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (1)", database=name)
    postgres_cluster.psql("SELECT pg_create_logical_replication_slot('s_' || md5(random()::text), 'pgoutput')", name)
    assert postgres_cluster.psql("SELECT count(*) FROM t", database=name).strip() == "1"
    postgres_cluster.drop_database(name)  # the slot in it must not block the drop
    exists = postgres_cluster.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'")
    assert exists.strip() == "0"


def test_postgres_db_fixture_gives_connector_config(
    postgres_db: dict[str, Any], postgres_cluster: PostgresCluster
) -> None:
    assert set(postgres_db) == {"host", "port", "database", "username", "password"}
    assert postgres_db["password"] == TEST_PASSWORD
    tables = postgres_cluster.psql(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database=postgres_db["database"]
    )
    assert tables.strip() == "0"


def test_create_database_rejects_names_that_are_not_identifiers(postgres_cluster: PostgresCluster) -> None:
    with pytest.raises(ValueError, match="not a plain identifier"):
        postgres_cluster.create_database("bad; DROP DATABASE postgres")


def test_custom_settings_and_stop_removes_everything() -> None:
    cluster = start_cluster_or_skip(settings={"wal_level": "replica"})
    root = cluster.root
    try:
        assert cluster.psql("SHOW wal_level").strip() == "replica"
    finally:
        cluster.stop()
    assert root is not None and not root.exists()
    assert cluster.root is None
    cluster.stop()  # idempotent


def test_missing_binaries_raise_unavailable(tmp_path: Path) -> None:
    cluster = PostgresCluster(bin_dir=tmp_path)
    with pytest.raises(PostgresUnavailableError, match="binaries not found"):
        cluster.start()


def test_find_bin_dir_points_at_initdb() -> None:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        service_missing("postgresql", "no initdb found")
        return
    assert (bin_dir / "initdb").exists()
