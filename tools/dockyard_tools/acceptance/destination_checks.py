"""Destination checks for `write`: sync modes, STATE handling, refreshes, edge values and names, bad input.

Each check builds its streams and messages in code, runs `write`, reads back through the destination's reader
hook and compares values with `values.same`, so one check holds every destination to the same rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard_tools.acceptance.common import Target, assert_succeeded
from dockyard_tools.acceptance.destination_io import (
    Destination,
    catalog,
    configured_stream,
    destination_options,
    record,
    state,
    without_stats,
)
from dockyard_tools.acceptance.destination_io import (
    line as _line,
)
from dockyard_tools.acceptance.messages import Output
from dockyard_tools.acceptance.runners import RunnerError
from dockyard_tools.acceptance.values import changed_fields, column, has_column, loosely_same, same, show

USERS = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "updated_at": {"type": "string", "format": "date-time"},
}
AIRBYTE_COLUMNS = ("_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta")
ECHO_TIMEOUT_S = 120.0  # only a guard against a destination that never echoes; a healthy one answers in ms


def _t(day: int) -> str:
    return f"2024-01-{day:02d}T10:00:00+00:00"


def _user(uid: int, name: str, day: int) -> dict[str, Any]:
    return {"id": uid, "name": name, "updated_at": _t(day)}


def _write_ok(destination: Destination, cat: Mapping[str, Any], messages: Sequence[Any], what: str) -> Output:
    output = destination.write(cat, messages)
    assert_succeeded(output, what)
    return output


def _key(row: Mapping[str, Any], fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(show(column(row, f)) for f in fields)


def _assert_rows(rows: list[dict[str, Any]], expected: list[dict[str, Any]], what: str) -> None:
    """`rows` hold exactly the `expected` records (as a multiset), comparing each field with `same`."""
    unmatched = list(rows)
    missing = []
    for want in expected:
        for index, row in enumerate(unmatched):
            if all(has_column(row, f) and same(v, column(row, f)) for f, v in want.items()):
                del unmatched[index]
                break
        else:
            missing.append(want)
    assert not missing and not unmatched, (
        f"{what}: {len(rows)} row(s), expected {len(expected)}.\n"
        + "".join(f" missing: {show(m)}\n" for m in missing[:5])
        + "".join(
            f" unexpected: {show({k: v for k, v in r.items() if not k.startswith('_')})}\n" for r in unmatched[:5]
        )
    )


def _assert_airbyte_columns(rows: list[dict[str, Any]], what: str) -> None:
    for name in AIRBYTE_COLUMNS:
        assert all(has_column(r, name) for r in rows), f"{what}: rows lack the {name} column."
    ids = [column(r, "_airbyte_raw_id") for r in rows]
    assert all(i is not None for i in ids) and len(set(map(str, ids))) == len(ids), (
        f"{what}: _airbyte_raw_id must be set and unique on every row."
    )
    assert all(column(r, "_airbyte_extracted_at") is not None for r in rows), f"{what}: _airbyte_extracted_at is NULL."


def supported_modes(target: Target) -> list[str]:
    modes = target.spec().get("supported_destination_sync_modes") or []
    return [m for m in ("overwrite", "append", "append_dedup") if m in modes]


# -- sync modes ----------------------------------------------------------------------------------------------
SYNC_MODE_CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]] = {
    # mode: (first sync, second sync, rows expected after both)
    "append": (
        [_user(1, "a", 1), _user(2, "b", 1), _user(3, "c", 1)],
        [_user(2, "b2", 2), _user(4, "d", 2)],
        [_user(1, "a", 1), _user(2, "b", 1), _user(3, "c", 1), _user(2, "b2", 2), _user(4, "d", 2)],
    ),
    "overwrite": (
        [_user(1, "a", 1), _user(2, "b", 1), _user(3, "c", 1)],
        [_user(2, "b2", 2), _user(4, "d", 2)],
        [_user(2, "b2", 2), _user(4, "d", 2)],
    ),
    "append_dedup": (
        # id 2 twice in one batch, the newer cursor first: the cursor decides, not the arrival order
        [_user(1, "a", 1), _user(2, "b-newest", 3), _user(2, "b-older", 2), _user(3, "c", 5)],
        # id 1 newer; id 3 older than what is stored (stays); id 4 twice, the newer cursor last
        [_user(1, "a2", 2), _user(3, "c-stale", 4), _user(4, "d-older", 2), _user(4, "d-newest", 3)],
        [_user(1, "a2", 2), _user(2, "b-newest", 3), _user(3, "c", 5), _user(4, "d-newest", 3)],
    ),
}


def check_sync_mode(target: Target, mode: str) -> None:
    """Two syncs in `mode` leave exactly the expected rows (dedup: newest cursor per key, within a batch too)."""
    first, second, expected = SYNC_MODE_CASES[mode]
    destination = Destination(target)
    stream = f"users_{mode}"
    what = f"{mode} on {target.label}"
    for sync, batch in enumerate((first, second), 1):
        entry = configured_stream(stream, USERS, mode=mode, generation_id=sync, sync_id=sync)
        messages = [record(stream, r, at=i) for i, r in enumerate(batch)] + [state(stream, sync)]
        output = _write_ok(destination, catalog(entry), messages, f"{what}, sync {sync}")
        assert [without_stats(m) for m in output.of_type("STATE")] == [state(stream, sync)], (
            f"{what}, sync {sync}: the STATE was not echoed exactly once."
        )
    rows = destination.rows(stream)
    _assert_rows(rows, expected, f"{what} after two syncs")
    _assert_airbyte_columns(rows, what)


# -- state ---------------------------------------------------------------------------------------------------
def check_state_echo(target: Target) -> None:
    """Every STATE comes back once, in received order, unchanged, with destinationStats.recordCount right."""
    destination = Destination(target)
    a, b = "state_a", "state_b"
    cat = catalog(configured_stream(a, USERS), configured_stream(b, USERS))
    sent = [
        record(a, _user(1, "x", 1)),
        record(a, _user(2, "x", 1)),
        state(a, 1, extra_field={"kept": True}),
        record(b, _user(1, "y", 1)),
        state(b, 1),
        {"type": "LOG", "log": {"level": "INFO", "message": "between states"}},
        record(a, _user(3, "x", 2)),
        state(a, 2),
        state(b, 2),
    ]
    counts = [2.0, 1.0, 1.0, 0.0]
    output = _write_ok(destination, cat, sent, f"state echo on {target.label}")
    echoed = output.of_type("STATE")
    expected = [m for m in sent if m["type"] == "STATE"]
    assert [without_stats(m) for m in echoed] == expected, (
        f"state echo on {target.label}: echoed states differ from the received ones (order, count or content).\n"
        f" sent:   {expected}\n echoed: {[without_stats(m) for m in echoed]}"
    )
    for message, count in zip(echoed, counts, strict=True):
        stats = message["state"].get("destinationStats")
        if stats is not None:
            assert stats.get("recordCount") == count, (
                f"state echo on {target.label}: destinationStats.recordCount is {stats.get('recordCount')} for "
                f"{without_stats(message)['state']['stream']}, expected {count}."
            )
    _assert_rows(destination.rows(a), [_user(1, "x", 1), _user(2, "x", 1), _user(3, "x", 2)], "state echo rows")


def _await_state(process: Any, expected: Mapping[str, Any], what: str) -> None:
    while True:
        try:
            message = process.next_message(timeout=ECHO_TIMEOUT_S)
        except RunnerError as exc:
            raise AssertionError(
                f"{what}: no STATE echoed while the sync was running ({exc}); a destination must commit and echo "
                "states during a sync when its config asks it to commit at every state."
            ) from None
        assert message is not None, f"{what}: the destination exited before echoing {expected}."
        if message.get("type") == "STATE":
            assert without_stats(message) == expected, f"{what}: echoed {message}, expected {expected} next."
            return


def check_state_after_commit(target: Target) -> None:
    """Kill the destination (SIGKILL) mid-stream: every state it echoed covers rows that are really there."""
    options = destination_options(target)
    destination = Destination(target, extra_config=options.commit_every_state)
    stream = "killed"
    cat = catalog(configured_stream(stream, USERS))
    what = f"write killed mid-stream on {target.label}"
    process = destination.start(cat)
    try:
        covered = []
        for batch in range(2):
            rows = [_user(batch * 10 + i, f"batch{batch}", batch + 1) for i in range(3)]
            process.send(b"".join(_line(record(stream, r)) for r in rows) + _line(state(stream, batch)))
            _await_state(process, state(stream, batch), what)
            covered += rows
        process.send(b"".join(_line(record(stream, _user(100 + i, "uncovered", 9))) for i in range(3)))
    finally:
        process.kill()
    process.finish()
    rows = destination.rows(stream)
    ids = Counter(column(r, "id") for r in rows)
    for want in covered:
        assert ids[want["id"]] == 1, (
            f"{what}: a state covering id {want['id']} was echoed, but after the kill the row is "
            f"{'missing' if not ids[want['id']] else 'there more than once'}: states were echoed before commit."
        )


# -- refreshes -----------------------------------------------------------------------------------------------
def check_refreshes(target: Target) -> None:
    """generation_id / minimum_generation_id: older generations go at the end of a truncating sync, not before."""
    options = destination_options(target)
    destination = Destination(target, extra_config=options.commit_every_state)
    stream = "generations"
    what = f"refreshes on {target.label}"

    def sync(generation: int, minimum: int, ids: Sequence[int]) -> None:
        entry = configured_stream(stream, USERS, generation_id=generation, minimum_generation_id=minimum)
        entry["sync_id"] = generation
        messages = [record(stream, _user(i, f"gen{generation}", generation)) for i in ids]
        _write_ok(
            destination, catalog(entry), [*messages, state(stream, generation)], f"{what}, generation {generation}"
        )

    def expect(pairs: Sequence[tuple[int, int]], when: str) -> None:
        rows = destination.rows(stream)
        _assert_rows(rows, [_user(i, f"gen{g}", g) for i, g in pairs], f"{what}: {when}")
        for row in rows:
            if has_column(row, "_airbyte_generation_id"):
                name = column(row, "name")
                assert str(column(row, "_airbyte_generation_id")) == name[3:], (
                    f"{what}: {when}: a row written by {name} has _airbyte_generation_id "
                    f"{column(row, '_airbyte_generation_id')}."
                )

    sync(1, 0, [1, 2])
    sync(2, 0, [3])
    expect([(1, 1), (2, 1), (3, 2)], "appending generation 2 keeps generation 1")
    sync(3, 2, [4])
    expect([(3, 2), (4, 3)], "minimum_generation_id 2 removes generation 1")
    sync(4, 4, [5])
    expect([(5, 4)], "a truncate refresh (minimum = generation 4) leaves generation 4 only")

    # A truncate refresh that dies part-way must not have removed the older generation.
    entry = configured_stream(stream, USERS, generation_id=5, minimum_generation_id=5)
    entry["sync_id"] = 5
    process = destination.start(catalog(entry))
    try:
        process.send(_line(record(stream, _user(6, "gen5", 5))) + _line(state(stream, 5)))
        _await_state(process, state(stream, 5), f"{what}, killed truncate refresh")
    finally:
        process.kill()
    process.finish()
    rows = destination.rows(stream)
    kept = [r for r in rows if column(r, "id") == 5]
    assert kept, f"{what}: a truncate refresh killed before its end removed the previous generation's rows."


# -- edge values ---------------------------------------------------------------------------------------------
def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": "bottom", "n": 1}
    for level in range(depth):
        node = {"level": level, "child": node, "list": [level, [level, {"x": None}]]}
    return node


EDGE_SCHEMA: dict[str, Any] = {
    "id": {"type": "integer"},
    "s_unicode": {"type": ["null", "string"]},
    "s_emoji": {"type": ["null", "string"]},
    "s_empty": {"type": ["null", "string"]},
    "s_null": {"type": ["null", "string"]},
    "s_nul": {"type": ["null", "string"]},
    "s_quotes": {"type": ["null", "string"]},
    "s_long": {"type": ["null", "string"]},
    "i_max": {"type": ["null", "integer"]},
    "i_min": {"type": ["null", "integer"]},
    "i_big": {"type": ["null", "integer"]},
    "i_huge": {"type": ["null", "integer"]},
    "i_not_a_number": {"type": ["null", "integer"]},
    "n_decimal": {"type": ["null", "number"]},
    "n_tiny": {"type": ["null", "number"]},
    "n_negative": {"type": ["null", "number"]},
    "b_false": {"type": ["null", "boolean"]},
    "ts": {"type": ["null", "string"], "format": "date-time"},
    "ts_naive": {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "t_tz": {"type": ["null", "string"], "format": "time", "airbyte_type": "time_with_timezone"},
    "d": {"type": ["null", "string"], "format": "date"},
    "o_nested": {"type": ["null", "object"]},
    "a_nested": {"type": ["null", "array"]},
    "o_empty": {"type": ["null", "object"]},
    "a_empty": {"type": ["null", "array"]},
    "o_unicode": {"type": ["null", "object"]},
}
EDGE_RECORDS: list[dict[str, Any]] = [
    {
        "id": 1,
        "s_unicode": "Grüße, ħęłłø — 日本語テキスト, ﺎﻠﻋﺮﺒﻳﺓ, עברית",
        "s_emoji": "🚢⚓️👩🏽‍🚀🏳️‍🌈",
        "s_empty": "",
        "s_null": None,
        "s_nul": "before\u0000after",
        "s_quotes": 'it\'s "quoted", a\\backslash, a,comma\nand a newline\ttab',
        "s_long": "x" * 100_000,
        "i_max": 2**63 - 1,
        "i_min": -(2**63),
        "i_big": 2**70,
        "i_huge": 10**40 + 1,
        "i_not_a_number": "forty-two",  # cannot land in an integer column: must be recorded as a change
        "n_decimal": "123456789012345678.123456789",  # replaced by a Decimal number in the JSON line
        "n_tiny": 1e-10,
        "n_negative": -0.5,
        "b_false": False,
        "ts": "2024-02-29T23:59:59.123456+00:00",
        "ts_naive": "1970-01-01T00:00:00",
        "t_tz": "23:59:59+02:00",
        "d": "1999-12-31",
        "o_nested": _deep(30),
        "a_nested": [[1, [2, [3, [4, ["five"]]]]], {"k": [None, True, 1.5]}],
        "o_empty": {},
        "a_empty": [],
        "o_unicode": {"clé": "välue 🚀", "empty": "", "null": None, "nul": "a\u0000b"},
    },
    {"id": 2, **{name: None for name in EDGE_SCHEMA if name != "id"}},
    {"id": 3, "s_empty": "", "s_null": "not null this time", "i_big": -(2**70), "n_decimal": 0},
]


def _edge_line(stream: str, data: Mapping[str, Any]) -> bytes:
    """A RECORD line whose n_decimal is a JSON number with more digits than a double holds."""
    import json

    body = dict(data)
    decimal = body.get("n_decimal")
    if isinstance(decimal, str):
        body["n_decimal"] = "@@DECIMAL@@"
    line = json.dumps(record(stream, body), ensure_ascii=False)
    if isinstance(decimal, str):
        line = line.replace('"@@DECIMAL@@"', decimal)
    return line.encode("utf-8") + b"\n"


def check_edge_values(target: Target) -> None:
    """Hard values land as sent, or the row's _airbyte_meta.changes names the field that did not."""
    from decimal import Decimal

    destination = Destination(target)
    stream = "edge_values"
    what = f"edge values on {target.label}"
    payload = b"".join(_edge_line(stream, r) for r in EDGE_RECORDS) + _line(state(stream, 1))
    _write_ok(destination, catalog(configured_stream(stream, EDGE_SCHEMA, cursor=())), [payload], what)
    rows = {column(r, "id"): r for r in destination.rows(stream)}
    assert sorted(rows) == [1, 2, 3], f"{what}: expected rows with ids 1, 2, 3, got {sorted(rows)}."
    for sent in EDGE_RECORDS:
        row = rows[sent["id"]]
        changed = changed_fields(row)
        for field, value in sent.items():
            if field == "n_decimal" and isinstance(value, str):
                value = Decimal(value)
            got = column(row, field) if has_column(row, field) else "<no column>"
            assert same(value, got) or field in changed, (
                f"{what}: record {sent['id']} field {field}: sent {show(value)}, read back {show(got)}, and "
                "_airbyte_meta.changes does not mention the field."
            )
    _assert_airbyte_columns(list(rows.values()), what)


# -- edge names ----------------------------------------------------------------------------------------------
EDGE_FIELD_NAMES = [
    "with space",
    'double"quote',
    "single'quote",
    "dot.ted",
    "UPPERCASE",
    "MixedCase",
    "mixedcase_twin",
    "select",
    "from",
    "order",
    "group",
    "table",
    "1starts_with_digit",
    "x" * 70,
    "y" * 63 + "_suffix_a",
    "y" * 63 + "_suffix_b",
    "é" * 40,
    "semi;colon--comment",
    "back\\slash",
]
EDGE_STREAM_NAMES = [
    "Stream With Spaces",
    'stream"quote',
    "stream.with.dots",
    "UPPER_STREAM",
    "select",
    "s" * 80,
]


def check_edge_names(target: Target) -> None:
    """Odd stream and field names land in distinct columns, stable from one sync to the next."""
    destination = Destination(target)
    what = f"edge names on {target.label}"
    schema = {"id": {"type": "integer"}, **{name: {"type": ["null", "string"]} for name in EDGE_FIELD_NAMES}}
    cat = catalog(*(configured_stream(s, schema, cursor=()) for s in EDGE_STREAM_NAMES))
    for sync in (1, 2):
        messages = [
            record(s, {"id": sync, **{f: f"v{sync}-{si}-{fi}" for fi, f in enumerate(EDGE_FIELD_NAMES)}})
            for si, s in enumerate(EDGE_STREAM_NAMES)
        ]
        _write_ok(destination, cat, [*messages, *(state(s, sync) for s in EDGE_STREAM_NAMES)], f"{what}, sync {sync}")
    for si, stream in enumerate(EDGE_STREAM_NAMES):
        rows = {column(r, "id"): r for r in destination.rows(stream)}
        assert sorted(rows) == [1, 2], f"{what}: stream {stream!r} has rows {sorted(rows)}, expected ids 1 and 2."
        used: dict[str, str] = {}
        for fi, field in enumerate(EDGE_FIELD_NAMES):
            places = []
            for sync in (1, 2):
                row = rows[sync]
                found = [c for c, v in row.items() if v == f"v{sync}-{si}-{fi}"]
                assert len(found) == 1 or field in changed_fields(row), (
                    f"{what}: stream {stream!r} field {field!r} (sync {sync}) is in columns {found}, expected "
                    "exactly one (or a change recorded in _airbyte_meta)."
                )
                places.extend(found)
            if not places:
                continue
            assert len(set(places)) == 1, f"{what}: field {field!r} moved from column {places[0]!r} to {places[1]!r}."
            assert places[0] not in used, (
                f"{what}: fields {used[places[0]]!r} and {field!r} both land in column {places[0]!r}."
            )
            used[places[0]] = field


# -- schema evolution ----------------------------------------------------------------------------------------
EVOLVING = {"id": {"type": "integer"}, "declared_int": {"type": ["null", "integer"]}, "name": {"type": "string"}}
EVOLUTION_SYNCS: list[list[dict[str, Any]]] = [
    [
        {"id": 1, "declared_int": 1, "name": "a"},
        {"id": 2, "declared_int": 2, "name": "b", "added_later": "new field mid-stream"},
        {"id": 3, "declared_int": 3.5, "name": "c", "widening": 5},
        {"id": 4, "declared_int": 2**70, "name": "d", "widening": "five"},
    ],
    [
        {"id": 5, "name": "e", "added_later": "again", "widening": 6.5, "added_next_sync": {"a": [1, 2]}},
        {"id": 6, "name": "f", "declared_int": -7, "widening": None, "added_next_sync": None},
    ],
]


def check_schema_evolution(target: Target) -> None:
    """New fields mid-stream and fields whose type widens mid-stream (and across syncs) keep their values."""
    destination = Destination(target)
    stream = "evolving"
    what = f"schema evolution on {target.label}"
    cat = catalog(configured_stream(stream, EVOLVING, cursor=()))
    for sync, batch in enumerate(EVOLUTION_SYNCS, 1):
        messages = [record(stream, r) for r in batch]
        _write_ok(destination, cat, [*messages, state(stream, sync)], f"{what}, sync {sync}")
    rows = {column(r, "id"): r for r in destination.rows(stream)}
    sent_all = [r for batch in EVOLUTION_SYNCS for r in batch]
    assert sorted(rows) == [r["id"] for r in sent_all], f"{what}: rows {sorted(rows)}."
    for sent in sent_all:
        row = rows[sent["id"]]
        for field, value in sent.items():
            got = column(row, field) if has_column(row, field) else None
            assert loosely_same(value, got) or field in changed_fields(row) or (value is None and got is None), (
                f"{what}: record {sent['id']} field {field}: sent {show(value)}, read back {show(got)}, and "
                "_airbyte_meta.changes does not mention the field."
            )


# -- malformed input -----------------------------------------------------------------------------------------
def check_malformed_input(target: Target) -> None:
    """Garbage lines, records of unknown streams, LOG/TRACE/CONTROL lines: the sync goes on and loads the rest."""
    destination = Destination(target)
    stream = "robust"
    good = [_user(1, "first", 1), _user(2, "second", 1), _user(3, "third", 1)]
    lines = [
        b"this is not json\n",
        b"\n",
        b"   \n",
        b"{}\n",
        b"[1, 2, 3]\n",
        b'"just a string"\n',
        b'{"type": "RECORD"}\n',
        b'{"type": "RECORD", "record": {"stream": "robust"}}\n',
        b'{"type": "RECORD", "record": {"stream": "robust", "data": "not an object"}}\n',
        b'{"type": "RECORD", "record": {"stream": "robust", "data": {"id": 9, "na\n',  # truncated
        _line(record(stream, good[0])),
        _line(record("no_such_stream", {"id": 1})),
        _line(record(stream, good[1])),
        _line({"type": "LOG", "log": {"level": "WARN", "message": "a source log line"}}),
        _line(
            {
                "type": "TRACE",
                "trace": {
                    "type": "ERROR",
                    "emitted_at": 1.0,
                    "error": {"message": "source hiccup", "failure_type": "system_error"},
                },
            }
        ),
        _line(
            {
                "type": "TRACE",
                "trace": {
                    "type": "STREAM_STATUS",
                    "emitted_at": 1.0,
                    "stream_status": {"stream_descriptor": {"name": stream}, "status": "RUNNING"},
                },
            }
        ),
        _line(
            {
                "type": "CONTROL",
                "control": {"type": "CONNECTOR_CONFIG", "emitted_at": 1.0, "connectorConfig": {"config": {}}},
            }
        ),
        _line({"type": "SOMETHING_NEW", "payload": 1}),
        b"\xff\xfe not utf-8\n",
        _line(record(stream, good[2])),
        _line(state(stream, 1)),
    ]
    output = destination.write(catalog(configured_stream(stream, USERS)), lines)
    what = f"malformed input on {target.label}"
    assert_succeeded(output, what)
    assert [without_stats(m) for m in output.of_type("STATE")] == [state(stream, 1)], f"{what}: the STATE was lost."
    _assert_rows(destination.rows(stream), good, what)
