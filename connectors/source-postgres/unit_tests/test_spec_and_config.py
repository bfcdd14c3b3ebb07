"""The spec a user fills in, and the typed config built from it."""

from __future__ import annotations

import jsonschema
from dockyard_runtime.secrets import secret_paths
from dockyard_runtime.spec import load_spec
from source_postgres.config import PostgresConfig

SPEC = load_spec("source_postgres")["connectionSpecification"]


def test_password_is_the_only_secret() -> None:
    assert secret_paths(SPEC) == [("password",)]


def test_minimal_standard_and_full_cdc_configs_are_valid() -> None:
    minimal = {"host": "db", "port": 5432, "database": "app", "username": "u"}
    jsonschema.Draft7Validator(SPEC).validate(minimal)
    settings = PostgresConfig.from_mapping(minimal)
    assert settings.cdc is None and settings.schemas == () and settings.ssl_mode == "prefer"

    cdc = {
        **minimal,
        "schemas": ["public", "sales"],
        "replication_method": {
            "method": "CDC",
            "replication_slot": "s",
            "publication": "p",
            "lsn_commit_behaviour": "while_reading",
            "invalid_cursor_policy": "resnapshot",
        },
    }
    jsonschema.Draft7Validator(SPEC).validate(cdc)
    settings = PostgresConfig.from_mapping(cdc)
    assert settings.cdc is not None
    assert (settings.cdc.replication_slot, settings.cdc.lsn_commit_behaviour) == ("s", "while_reading")
    assert settings.cdc.invalid_cursor_policy == "resnapshot"
    assert settings.schemas == ("public", "sales")


def test_cdc_without_a_slot_or_with_an_unknown_policy_is_rejected() -> None:
    base = {"host": "db", "port": 5432, "database": "app", "username": "u"}
    validator = jsonschema.Draft7Validator(SPEC)
    assert not validator.is_valid({**base, "replication_method": {"method": "CDC", "publication": "p"}})
    bad_policy = {"method": "CDC", "replication_slot": "s", "publication": "p", "invalid_cursor_policy": "ignore"}
    assert not validator.is_valid({**base, "replication_method": bad_policy})


def test_sample_files_are_valid() -> None:
    import json
    from pathlib import Path

    from source_postgres.state import parse_state

    samples = Path(__file__).resolve().parents[1] / "sample_files"
    for name in ("config.json", "config_cdc.json"):
        jsonschema.Draft7Validator(SPEC).validate(json.loads((samples / name).read_text()))
    state = parse_state(json.loads((samples / "state.json").read_text()))
    assert state.streams[("public", "users")]["cursor_field"] == ["updated_at"]
    catalog = json.loads((samples / "configured_catalog.json").read_text())
    assert catalog["streams"][0]["cursor_field"] == ["updated_at"]
