"""Secret values from the config, masked everywhere the runtime writes text.

Kept free of heavy imports so the masking works on every code path, including the ones that never load the
Airbyte CDK. When the CDK is loaded, the same values are registered with its log filter too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"
_secrets: list[str] = []


def secret_paths(schema: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Config paths whose spec property is marked `airbyte_secret`, including those inside oneOf branches."""
    paths: list[tuple[str, ...]] = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        path = (*prefix, name)
        if prop.get("airbyte_secret") is True:
            paths.append(path)
        paths.extend(secret_paths(prop, path))
        for branch in prop.get("oneOf") or prop.get("anyOf") or []:
            if isinstance(branch, Mapping):
                paths.extend(secret_paths(branch, path))
    return paths


def secret_values(schema: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """The config's values at every secret path (missing optional secrets are simply absent)."""
    values: list[str] = []
    for path in secret_paths(schema):
        node: Any = config
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node not in (None, ""):
            values.append(str(node))
    return values


def register(values: Iterable[str]) -> None:
    """Remember secret values; longest first so a secret that contains another is masked whole."""
    merged = {v for v in [*_secrets, *values] if v}
    _secrets[:] = sorted(merged, key=len, reverse=True)


def mask(text: str) -> str:
    """Replace every registered secret value in `text`."""
    for value in _secrets:
        if value in text:
            text = text.replace(value, MASK)
    return text


def registered() -> list[str]:
    return list(_secrets)
