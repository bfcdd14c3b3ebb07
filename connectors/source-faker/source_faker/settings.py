"""The connector's config, with the defaults of spec.json, as one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard_runtime.errors import ConfigError


@dataclass(frozen=True)
class FakerSettings:
    count: int = 1000
    seed: int = 42
    records_per_slice: int = 1000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FakerSettings:
        """The entrypoint has validated types and minimums against spec.json; this re-checks for direct callers."""
        values = {name: config.get(name, default) for name, default in _DEFAULTS.items()}
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"Config field '{name}' must be an integer, got {type(value).__name__}.")
            if name != "seed" and value < 1:
                raise ConfigError(f"Config field '{name}' must be at least 1, got {value}.")
        return cls(**values)


_DEFAULTS = {
    "count": FakerSettings.count,
    "seed": FakerSettings.seed,
    "records_per_slice": FakerSettings.records_per_slice,
}
