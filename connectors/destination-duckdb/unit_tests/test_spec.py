"""The packaged spec: a valid Draft 7 schema whose defaults validate and whose options the code reads."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from dockyard_runtime.config import validate_config
from dockyard_runtime.errors import ConfigError


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(resources.files("destination_duckdb").joinpath("spec.json").read_text())
    return loaded


def test_spec_is_a_valid_draft7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(spec()["connectionSpecification"])


def test_spec_declares_every_sync_mode_the_runtime_supports() -> None:
    assert sorted(spec()["supported_destination_sync_modes"]) == ["append", "append_dedup", "overwrite"]


def test_every_property_is_documented_and_its_default_validates() -> None:
    connection = spec()["connectionSpecification"]
    for name, prop in connection["properties"].items():
        assert prop.get("title"), name
        assert prop.get("description") or name == "batch_size_records", name
        if "default" in prop:
            jsonschema.validate(prop["default"], prop)


def test_minimal_config_is_valid_and_bad_enums_are_rejected() -> None:
    connection = spec()["connectionSpecification"]
    validate_config({"destination_path": "/tmp/x.duckdb"}, connection)
    with pytest.raises(ConfigError, match="unique_conflict_method"):
        validate_config({"destination_path": "x", "unique_conflict_method": "merge"}, connection)
    with pytest.raises(ConfigError, match="destination_path"):
        validate_config({"destination_path": ""}, connection)
