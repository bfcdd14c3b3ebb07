"""Secret discovery from the spec and masking of every form a secret can take in output."""

from __future__ import annotations

import json
from typing import Any

import orjson
from dockyard_runtime import protocol, secrets

SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "password": {"type": "string", "airbyte_secret": True},
        "host": {"type": "string"},
        "tunnel": {
            "type": "object",
            "oneOf": [
                {"properties": {"method": {"const": "none"}}},
                {"properties": {"method": {"const": "key"}, "ssh_key": {"type": "string", "airbyte_secret": True}}},
            ],
        },
        "auth": {
            "type": "object",
            "anyOf": [{"properties": {"oauth": {"type": "object", "properties": {"token": {"airbyte_secret": True}}}}}],
        },
        "pin": {"type": "integer", "airbyte_secret": True},
        "not_secret": {"type": "string", "airbyte_secret": False},
    },
}


def test_secret_paths_include_nested_and_oneof_and_anyof() -> None:
    assert sorted(secrets.secret_paths(SPEC)) == [
        ("auth", "oauth", "token"),
        ("password",),
        ("pin",),
        ("tunnel", "ssh_key"),
    ]


def test_secret_values_skip_missing_and_empty() -> None:
    config = {"password": "", "tunnel": {"method": "key", "ssh_key": "KEY"}, "pin": 1234, "auth": {"oauth": None}}
    assert sorted(secrets.secret_values(SPEC, config)) == ["1234", "KEY"]


def test_secret_values_ignore_non_object_parents() -> None:
    assert secrets.secret_values(SPEC, {"tunnel": "plain", "auth": [1]}) == []


def test_mask_replaces_every_occurrence_and_longest_first() -> None:
    secrets.register(["abc", "abcdef"])
    assert secrets.mask("x abcdef y abc z abc") == "x **** y **** z ****"


def test_register_ignores_empty_values_and_is_cumulative() -> None:
    secrets.register(["", "one"])
    secrets.register(["two"])
    assert secrets.mask("one two three") == "**** **** three"


def test_dumps_masks_json_escaped_forms() -> None:
    secret = 'p"a\\s\ns\u00e9'
    secrets.register([secret])
    for text in (secret, repr(secret), f"error: {secret!r}", json.dumps({"k": secret})):
        line = protocol.dumps({"type": "LOG", "log": {"level": "INFO", "message": text}})
        decoded = orjson.loads(line)["log"]["message"]
        assert secret not in decoded, text
        assert "****" in decoded
    assert secrets.mask("plain text") == "plain text"


def test_dumps_without_secrets_is_plain_orjson() -> None:
    assert protocol.dumps({"a": 1}) == b'{"a":1}\n'
