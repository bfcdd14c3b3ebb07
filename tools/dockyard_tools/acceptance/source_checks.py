"""Source checks: discover, basic read (with golden records), full refresh, incremental and a bad catalog.

Each check is a plain function that raises AssertionError naming the connector, the runner and what is
wrong, so the suite's own tests can call it on deliberately broken connectors and watch it fail.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jsonschema

from dockyard_tools.acceptance.common import (
    Target,
    assert_clean,
    assert_no_crash,
    assert_no_secret_leak,
    assert_succeeded,
    secret_values,
)
from dockyard_tools.acceptance.config import ExpectedRecords, ReadConfig
from dockyard_tools.acceptance.messages import Output

Streams = dict[str, dict[str, Any]]
MISSING_STREAM = "__dockyard_stream_that_does_not_exist"
FAR_FUTURE_YEAR = "9999"


# -- discover ------------------------------------------------------------------------------------------------
def check_discover(target: Target, config_path: str | None = None) -> Streams:
    """Every stream's schema is a JSON Schema and holds its primary key and default cursor; returns the streams."""
    path = config_path or target.acceptance.discovery[0]
    config = target.load_config(path)
    output = target.runner.run("discover", config=config)
    what = f"discover of {target.label} with {path}"
    assert_no_secret_leak(output, secret_values(config, target.spec()), what)
    assert_succeeded(output, what)
    catalogs = output.of_type("CATALOG")
    assert len(catalogs) == 1, f"{what}: expected exactly one CATALOG message, got {len(catalogs)}."
    streams = (catalogs[0].get("catalog") or {}).get("streams")
    assert isinstance(streams, list) and streams, f"{what}: the catalog has no streams."
    from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteMessageSerializer

    try:
        AirbyteMessageSerializer.load(catalogs[0])
    except Exception as exc:  # serpyco raises its own ValidationError types
        raise AssertionError(f"{what}: not a valid AirbyteCatalog: {exc}") from None
    found: Streams = {}
    for stream in streams:
        name = stream.get("name")
        assert isinstance(name, str) and name, f"{what}: a stream has no name."
        assert name not in found, f"{what}: stream {name} appears twice."
        found[name] = stream
        _check_stream(stream, f"{what}, stream {name}")
    return found


def _check_stream(stream: Mapping[str, Any], what: str) -> None:
    schema = stream.get("json_schema")
    assert isinstance(schema, dict), f"{what}: json_schema must be an object."
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise AssertionError(f"{what}: json_schema is not a valid JSON Schema: {exc.message}") from None
    modes = stream.get("supported_sync_modes") or []
    assert modes and set(modes) <= {"full_refresh", "incremental"}, f"{what}: supported_sync_modes is {modes!r}."
    for key in stream.get("source_defined_primary_key") or []:
        assert _schema_at(schema, key) is not None, f"{what}: primary key {key} is not in the schema."
    cursor = stream.get("default_cursor_field") or []
    if cursor:
        assert _schema_at(schema, cursor) is not None, f"{what}: default cursor field {cursor} is not in the schema."
    if stream.get("source_defined_cursor"):
        assert cursor, f"{what}: source_defined_cursor is true but there is no default_cursor_field."
    if "incremental" in modes and stream.get("source_defined_cursor"):
        assert cursor, f"{what}: an incremental stream with a source-defined cursor needs default_cursor_field."


def _schema_at(schema: Mapping[str, Any], path: Sequence[str]) -> Mapping[str, Any] | None:
    node: Any = schema
    for part in path:
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping) or part not in properties:
            return None
        node = properties[part]
    return node if isinstance(node, Mapping) else None


# -- catalogs ------------------------------------------------------------------------------------------------
def configured_catalog(
    target: Target, entry: ReadConfig, discovered: Streams, *, sync_mode: str | None = None
) -> dict[str, Any]:
    """The entry's configured catalog with each stream as discovered (all streams when it names no catalog)."""
    if entry.configured_catalog_path:
        declared = json.loads(target.acceptance.path(entry.configured_catalog_path).read_text())
        entries = declared.get("streams") or []
    else:
        entries = [{"stream": {"name": name}, "sync_mode": "full_refresh"} for name in discovered]
    streams = []
    for item in entries:
        name = item["stream"]["name"]
        assert name in discovered, (
            f"{target.label}: the configured catalog {entry.configured_catalog_path} names stream {name}, "
            f"which discover does not offer (offered: {', '.join(discovered)})."
        )
        stream = discovered[name]
        mode = sync_mode or item.get("sync_mode") or "full_refresh"
        cursor = item.get("cursor_field") or stream.get("default_cursor_field")
        if mode == "incremental" and ("incremental" not in stream.get("supported_sync_modes", []) or not cursor):
            continue  # incremental needs a cursor: the source's, or one the declared catalog picks
        configured: dict[str, Any] = {
            "stream": stream,
            "sync_mode": mode,
            "destination_sync_mode": item.get("destination_sync_mode") or "append",
        }
        if cursor:
            configured["cursor_field"] = cursor
        if stream.get("source_defined_primary_key"):
            configured["primary_key"] = stream["source_defined_primary_key"]
        streams.append(configured)
    return {"streams": streams}


def _names(catalog: Mapping[str, Any]) -> list[str]:
    return [s["stream"]["name"] for s in catalog["streams"]]


# -- basic read ----------------------------------------------------------------------------------------------
_FORMATS = jsonschema.FormatChecker([])


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.datetime.fromisoformat(value))


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value))


def read(target: Target, config_path: str, catalog: Mapping[str, Any], state: Any = None) -> Output:
    return target.runner.run("read", config=target.load_config(config_path), catalog=catalog, state=state)


def check_read_output(output: Output, catalog: Mapping[str, Any], what: str, *, empty: Sequence[str] = ()) -> None:
    """Records belong to configured streams, match their schema, and every non-empty stream has some."""
    assert_succeeded(output, what)
    schemas = {s["stream"]["name"]: s["stream"]["json_schema"] for s in catalog["streams"]}
    namespaces = {s["stream"]["name"]: s["stream"].get("namespace") for s in catalog["streams"]}
    validators = {name: jsonschema.Draft7Validator(schema, format_checker=_FORMATS) for name, schema in schemas.items()}
    counts: Counter[str] = Counter()
    for record in output.records:
        stream = str(record.get("stream"))
        assert stream in validators, f"{what}: a record of stream {stream!r}, which is not in the configured catalog."
        assert record.get("namespace") == namespaces[stream], f"{what}: a record of {stream} has the wrong namespace."
        assert isinstance(record.get("emitted_at"), int), f"{what}: a record of {stream} has no integer emitted_at."
        data = record.get("data")
        assert isinstance(data, dict), f"{what}: a record of {stream} has no data object."
        error = next(iter(sorted(validators[stream].iter_errors(data), key=lambda e: list(e.absolute_path))), None)
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path) or "(root)"
            raise AssertionError(
                f"{what}: record {counts[stream] + 1} of stream {stream} does not match the stream's schema at "
                f"{field}: {error.message}"
            )
        counts[stream] += 1
    missing = [name for name in schemas if counts[name] == 0 and name not in empty]
    assert not missing, (
        f"{what}: no records from stream(s) {', '.join(missing)} (list them in empty_streams if that is expected)."
    )
    for name, _state in output.stream_states():
        assert name in schemas, f"{what}: a STATE for stream {name}, which is not in the configured catalog."


def check_basic_read(target: Target, entry: ReadConfig, discovered: Streams) -> Output:
    catalog = configured_catalog(target, entry, discovered)
    output = read(target, entry.config_path, catalog)
    check_read_output(output, catalog, f"read of {target.label} with {entry.config_path}", empty=entry.empty_streams)
    return output


# -- golden records ------------------------------------------------------------------------------------------
def golden_lines(output: Output, expected: ExpectedRecords) -> list[dict[str, Any]]:
    """The records as golden lines: stream and data, without emitted_at and the ignored fields."""
    lines = []
    for record in output.records:
        stream = str(record.get("stream"))
        data = copy.deepcopy(record.get("data") or {})
        for field in expected.ignored_fields.get(stream, ()):
            _drop(data, field.split("."))
        lines.append({"stream": stream, "data": data})
    return lines


def _drop(data: dict[str, Any], path: list[str]) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _canonical(line: Mapping[str, Any]) -> str:
    return json.dumps(line, sort_keys=True, ensure_ascii=False)


def write_expected_records(target: Target, output: Output) -> Path:
    """Refresh the golden file from a read (DOCKYARD_UPDATE_GOLDEN=1); review the diff before committing it."""
    expected = target.acceptance.expected_records
    assert expected is not None, f"{target.acceptance.connector} declares no dockyard.expected_records"
    path = target.acceptance.path(expected.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = golden_lines(output, expected)
    if not expected.exact_order:
        lines.sort(key=_canonical)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def check_expected_records(target: Target, output: Output) -> None:
    """The records equal the golden file (as a multiset unless exact_order)."""
    expected = target.acceptance.expected_records
    assert expected is not None
    path = target.acceptance.path(expected.path)
    assert path.is_file(), (
        f"{target.label}: golden file {expected.path} does not exist; create it with "
        f"DOCKYARD_UPDATE_GOLDEN=1 dockyard test {target.acceptance.connector} (docs/acceptance-tests.md)."
    )
    want = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    got = golden_lines(output, expected)
    what = f"read of {target.label} against {expected.path}"
    if expected.exact_order:
        for index, (a, b) in enumerate(zip(got, want, strict=False)):
            assert _canonical(a) == _canonical(b), f"{what}: record {index + 1} differs:\n got  {a}\n want {b}"
        assert len(got) == len(want), f"{what}: {len(got)} records, expected {len(want)}."
        return
    _assert_same_records(got, want, what, "the golden file")


def _assert_same_records(got: list[dict[str, Any]], want: list[dict[str, Any]], what: str, other: str) -> None:
    got_counts, want_counts = Counter(map(_canonical, got)), Counter(map(_canonical, want))
    if got_counts == want_counts:
        return
    extra = list((got_counts - want_counts).elements())
    missing = list((want_counts - got_counts).elements())
    raise AssertionError(
        f"{what}: {len(got)} records vs {len(want)} in {other}; {len(extra)} unexpected, {len(missing)} missing.\n"
        + "".join(f" unexpected: {line[:400]}\n" for line in extra[:3])
        + "".join(f" missing:    {line[:400]}\n" for line in missing[:3])
    )


# -- full refresh --------------------------------------------------------------------------------------------
def check_full_refresh(target: Target, entry: ReadConfig, discovered: Streams) -> None:
    """Two full-refresh reads give the same records."""
    catalog = configured_catalog(target, entry, discovered, sync_mode="full_refresh")
    what = f"full refresh of {target.label} with {entry.config_path}"
    first = read(target, entry.config_path, catalog)
    check_read_output(first, catalog, f"{what} (first read)")
    second = read(target, entry.config_path, catalog)
    check_read_output(second, catalog, f"{what} (second read)")
    ignore = target.acceptance.expected_records or ExpectedRecords(path="")
    _assert_same_records(golden_lines(second, ignore), golden_lines(first, ignore), what, "the first read")


# -- incremental ---------------------------------------------------------------------------------------------
def incremental_entry(target: Target, discovered: Streams) -> ReadConfig | None:
    """The incremental entry to test: the declared one, else the first basic_read config with every stream
    that supports incremental; None when no stream does."""
    if target.acceptance.incremental:
        return target.acceptance.incremental[0]
    if not any("incremental" in s.get("supported_sync_modes", []) for s in discovered.values()):
        return None
    return ReadConfig(config_path=target.acceptance.basic_read[0].config_path)


def check_incremental(target: Target, entry: ReadConfig, discovered: Streams) -> None:
    """State is emitted; reading from it yields nothing older; a far-future state yields nothing; state advances."""
    catalog = configured_catalog(target, entry, discovered, sync_mode="incremental")
    assert catalog["streams"], (
        f"{target.label}: no stream can be read incrementally with this catalog (none has a source-defined cursor); "
        "declare an incremental entry whose configured_catalog_path picks a cursor_field per stream."
    )
    what = f"incremental read of {target.label} with {entry.config_path}"
    first = read(target, entry.config_path, catalog)
    check_read_output(first, catalog, f"{what} (first read)", empty=entry.empty_streams)
    first_states = first.final_states()
    cursors = {s["stream"]["name"]: s.get("cursor_field") or [] for s in catalog["streams"]}
    for name in _names(catalog):
        assert name in first_states, f"{what}: stream {name} emitted no STATE."
    state = first.state_messages_for_next_read()

    second = read(target, entry.config_path, catalog, state)
    check_read_output(second, catalog, f"{what} (second read, from the first read's state)", empty=_names(catalog))
    second_states = second.final_states()
    for name in _names(catalog):
        since = _state_cursor(entry, name, cursors[name], first_states[name], what)
        for record in second.records_of(name):
            value = _value_at(record["data"], cursors[name])
            assert value is None or _compare(value, since) >= 0, (
                f"{what}: the second read yielded a record of {name} with cursor {value!r}, older than the state's "
                f"{since!r}: the source ignores its state."
            )
        if name in second_states:
            after = _state_cursor(entry, name, cursors[name], second_states[name], what)
            assert _compare(after, since) >= 0, (
                f"{what}: the state of {name} went back from {since!r} to {after!r} after a read with state."
            )

    future = _future_state(target, entry, state, cursors, what)
    third = read(target, entry.config_path, catalog, future)
    check_read_output(third, catalog, f"{what} (from a far-future state)", empty=_names(catalog))
    late = Counter(str(r.get("stream")) for r in third.records)
    assert not late, f"{what}: a far-future state still yielded records: {dict(late)}."


def _state_cursor(entry: ReadConfig, stream: str, cursor: Sequence[str], state: Mapping[str, Any], what: str) -> Any:
    path = entry.cursor_paths.get(stream) or (cursor[-1:] if cursor else ())
    value = _value_at(state, path) if path else None
    assert value is not None, (
        f"{what}: cannot find the cursor value of stream {stream} in its state {state!r} at {list(path)}; "
        "declare cursor_paths for it in the incremental entry of acceptance-test-config.yml."
    )
    return value


def _value_at(data: Any, path: Sequence[str]) -> Any:
    node = data
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _comparable(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (2, str(value))
    if isinstance(value, (int, float, Decimal)):
        return (0, Decimal(str(value)))
    text = str(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            return (0, Decimal(text))
        except InvalidOperation:
            return (2, text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (1, moment)


def _compare(a: Any, b: Any) -> int:
    """Compare two cursor values: numbers as numbers, timestamps as instants, anything else as text."""
    ka, kb = _comparable(a), _comparable(b)
    left, right = (ka[1], kb[1]) if ka[0] == kb[0] else (str(a), str(b))
    return (left > right) - (left < right)


def far_future(value: Any) -> Any:
    """A cursor value of the same shape, far beyond any real data (year 9999, or a huge number)."""
    if isinstance(value, bool):
        raise ValueError("a boolean cursor has no future")
    if isinstance(value, int):
        return max(value, 0) * 1000 + 10**15
    if isinstance(value, float):
        return max(value, 0.0) * 1000 + 1e15
    text = str(value)
    if len(text) >= 4 and text[:4].isdigit() and _comparable(text)[0] == 1:
        return FAR_FUTURE_YEAR + text[4:]
    raise ValueError(f"cannot derive a far-future value from {value!r}")


def _future_state(
    target: Target,
    entry: ReadConfig,
    state_messages: list[dict[str, Any]],
    cursors: Mapping[str, Sequence[str]],
    what: str,
) -> Any:
    """The first read's final states with every cursor value moved far into the future."""
    if entry.future_state_path:
        return json.loads(target.acceptance.path(entry.future_state_path).read_text())
    messages = copy.deepcopy(state_messages)
    for message in messages:
        stream = message["stream"]
        name = stream["stream_descriptor"]["name"]
        if name not in cursors:
            continue
        path = list(entry.cursor_paths.get(name) or cursors[name][-1:])
        current = _state_cursor(entry, name, cursors[name], stream.get("stream_state") or {}, what)
        try:
            future = far_future(current)
        except ValueError as exc:
            raise AssertionError(
                f"{what}: {exc}; give a future_state_path in the incremental entry of acceptance-test-config.yml."
            ) from None
        node = stream["stream_state"]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = future
    return messages


# -- bad catalog ---------------------------------------------------------------------------------------------
def check_bad_catalog(target: Target, config_path: str) -> None:
    """A stream that does not exist gives a config_error TRACE naming it, no records and no traceback."""
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": MISSING_STREAM,
                    "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "append",
            }
        ]
    }
    config = target.load_config(config_path)
    output = target.runner.run("read", config=config, catalog=catalog)
    what = f"read of {target.label} with a catalog naming a missing stream"
    assert_no_secret_leak(output, secret_values(config, target.spec()), what)
    assert_clean(output, what)
    assert_no_crash(output, what)
    assert not output.records, f"{what}: the read yielded records."
    errors = [e for e in output.errors if e.get("failure_type") == "config_error"]
    assert errors, f"{what}: expected a TRACE error with failure_type config_error.\n{output.describe()}"
    assert MISSING_STREAM in str(errors[0].get("message")), (
        f"{what}: the error does not name the missing stream: {errors[0].get('message')!r}."
    )
    assert output.returncode != 0, f"{what}: exit code 0 after a failed read."
