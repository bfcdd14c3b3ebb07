"""Loading a connector's `spec.json`, which ships inside the connector's package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from dockyard_runtime.errors import FatalError


def load_spec(package: str) -> dict[str, Any]:
    """The ConnectorSpecification dict from `<package>/spec.json`."""
    try:
        text = resources.files(package).joinpath("spec.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise FatalError("The connector ships no spec.json.", context={"package": package}) from exc
    spec: dict[str, Any] = json.loads(text)
    return spec
