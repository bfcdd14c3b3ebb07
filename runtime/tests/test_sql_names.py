"""SQL identifiers: byte limits, stable hash suffixes, no collisions, odd characters."""

from __future__ import annotations

import random
import string

import pytest
from dockyard_runtime.sql.names import ColumnNamer, normalize, short_hash


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("users", "users"),
        ("Users", "users"),
        ("UPPER_Case", "upper_case"),
        ("user.name", "user_name"),
        ("user name", "user_name"),
        ("  padded  ", "padded"),
        ('say "hi"', "say_hi"),
        ("it's", "it_s"),
        ("a--b..c", "a_b_c"),
        ("select", "select"),  # reserved words stay readable: identifiers are always quoted
        ("order", "order"),
        ("2fa_enabled", "_2fa_enabled"),
        ("_id", "_id"),  # a leading underscore is part of the name (MongoDB's _id)
        ("__private", "__private"),
        ("café", "café"),
        ("Ünïcödé", "ünïcödé"),
        ("日本語", "日本語"),
        ("price_€", "price_"),
        ("e\u0301te\u0301", "été"),  # decomposed accents compose first
    ],
)
def test_normalize(name: str, expected: str) -> None:
    assert normalize(name) == expected


@pytest.mark.parametrize("name", ["🚀", "🛸", "!!!", "", "_", "  ", "$%^"])
def test_names_with_nothing_readable_become_their_hash(name: str) -> None:
    assert normalize(name) == "_" + short_hash(name)


def test_unreadable_names_do_not_collide() -> None:
    names = ["🚀", "🛸", "🚀🚀", "!!", "??", "", "-"]
    assert len({normalize(n) for n in names}) == len(names)


def test_long_names_fit_the_byte_limit_with_a_stable_suffix() -> None:
    long_name = "a_very_long_stream_name_" * 5
    result = normalize(long_name)
    assert len(result.encode()) == 63
    assert result.endswith("_" + short_hash(long_name))
    assert result.startswith("a_very_long_stream_name_a_very")
    assert normalize(long_name) == result


def test_long_names_sharing_a_prefix_do_not_collide() -> None:
    prefix = "x" * 80
    names = [prefix + suffix for suffix in ("a", "b", "A", "_", "1")]
    normalized = {normalize(n) for n in names}
    assert len(normalized) == len(names)
    assert all(len(n.encode()) <= 63 for n in normalized)


def test_multibyte_names_are_cut_at_a_character_boundary() -> None:
    name = "é" * 40  # 80 bytes
    result = normalize(name)
    assert len(result.encode()) <= 63
    result.encode().decode("utf-8")  # valid UTF-8: no half character
    assert result.startswith("é" * 27)


def test_custom_byte_limit() -> None:
    assert len(normalize("abcdefghijklmnopqrstuvwxyz" * 10, max_bytes=127).encode()) == 127
    assert normalize("short", max_bytes=127) == "short"


def test_hashed_forces_the_suffix() -> None:
    assert normalize("Users", hashed=True) == "users_" + short_hash("Users")


def test_random_names_are_valid_deterministic_and_bounded() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "éß日本🚀\u0301\x00"
    for _ in range(2000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        result = normalize(name)
        assert result == normalize(name)
        assert 0 < len(result.encode()) <= 63
        assert all(ch.isalnum() or ch == "_" for ch in result), result
        assert result == result.lower()
        assert not result[0].isdigit()


def test_column_namer_resolves_collisions_deterministically() -> None:
    namer = ColumnNamer()
    assert namer.name_for("firstName") == "firstname"
    assert namer.name_for("FirstName") == "firstname_" + short_hash("FirstName")
    assert namer.name_for("first name") == "first_name"
    assert namer.name_for("first.name") == "first_name_" + short_hash("first.name")
    assert namer.name_for("firstName") == "firstname"  # the same field keeps its name
    again = ColumnNamer()
    assert [again.name_for(n) for n in ("firstName", "FirstName")] == [
        "firstname",
        "firstname_" + short_hash("FirstName"),
    ]


def test_column_namer_avoids_reserved_columns() -> None:
    namer = ColumnNamer(reserved=("_airbyte_raw_id", "_airbyte_meta"))
    assert namer.name_for("_airbyte_raw_id") == "_airbyte_raw_id_" + short_hash("_airbyte_raw_id")
    assert namer.name_for("_AIRBYTE_META") == "_airbyte_meta_" + short_hash("_AIRBYTE_META")
    assert namer.name_for("_airbyte_other") == "_airbyte_other"


def test_column_namer_never_hands_out_a_name_twice() -> None:
    namer = ColumnNamer(max_bytes=20)
    fields = ["A", "a", "a ", " a", "a.", "x" * 30, "x" * 31, "X" * 30]
    names = [namer.name_for(f) for f in fields]
    assert len(set(names)) == len(fields)
    assert all(len(n.encode()) <= 20 for n in names)
