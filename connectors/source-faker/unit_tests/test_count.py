"""The `count` option sizes users and purchases; products stay a fixed list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.source.capture import records_of
from source_faker.settings import FakerSettings

Read = Callable[..., list[dict[str, Any]]]


@pytest.mark.parametrize("count", [1, 999, 1000, 1001, 2500])
def test_count_sets_users_and_purchases(read: Read, count: int) -> None:
    messages = read({"count": count})
    assert len(records_of(messages, "users")) == count
    assert len(records_of(messages, "purchases")) == count
    assert len(records_of(messages, "products")) == 100


def test_defaults_match_the_spec() -> None:
    import json
    from importlib import resources

    spec = json.loads(resources.files("source_faker").joinpath("spec.json").read_text())
    properties = spec["connectionSpecification"]["properties"]
    defaults = FakerSettings.from_config({})
    assert (defaults.count, defaults.seed, defaults.records_per_slice) == (
        properties["count"]["default"],
        properties["seed"]["default"],
        properties["records_per_slice"]["default"],
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"count": 0}, "'count' must be at least 1"),
        ({"records_per_slice": "10"}, "'records_per_slice' must be an integer"),
        ({"seed": True}, "'seed' must be an integer"),
    ],
)
def test_invalid_settings_are_config_errors(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FakerSettings.from_config(config)


def test_negative_seed_is_just_a_seed(read: Read) -> None:
    assert len(records_of(read({"count": 3, "seed": -1}, "users"))) == 3
