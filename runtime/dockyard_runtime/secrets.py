"""Secret values from the config, masked everywhere the runtime writes text.

Kept free of heavy imports so the masking works on every code path, including the ones that never load the
Airbyte CDK. When the CDK is loaded, the same values are registered with its log filter too.
"""

from __future__ import annotations

import json
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


def _forms(value: str) -> set[str]:
    """The ways a value can appear in output: as is, inside a repr(), and JSON-escaped (masking runs on JSON
    lines, where a secret holding a quote or a backslash no longer matches its raw form)."""
    raw = {value, repr(value)[1:-1]}
    return raw | {json.dumps(v)[1:-1] for v in raw} | {json.dumps(v, ensure_ascii=False)[1:-1] for v in raw}


def reset() -> None:
    """Forget every secret: each command launched in one process (tests, in-process runners) starts clean."""
    _secrets.clear()


def register(values: Iterable[str]) -> None:
    """Remember secret values; longest first so a secret that contains another is masked whole."""
    merged = {form for v in [*_secrets, *values] if v for form in _forms(v)}
    _secrets[:] = sorted(merged, key=len, reverse=True)


def mask(text: str) -> str:
    """Replace every registered secret value in `text`."""
    for value in _secrets:
        if value in text:
            text = text.replace(value, MASK)
    return text


def mask_value(value: Any) -> Any:
    """`value` (a JSON-like tree) with secrets masked in every string, keys included.

    Masking strings before serialization catches a secret however deeply the text around it is escaped later
    (an error message that quotes a JSON document, which is then written as a JSON line).
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {mask(str(k)): mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value


def active() -> bool:
    return bool(_secrets)


def registered() -> list[str]:
    return list(_secrets)
