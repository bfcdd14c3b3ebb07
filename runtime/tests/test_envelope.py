"""Which input lines the RECORD envelope decodes, and which it leaves to the write loop's full rules.

The envelope is the write loop's first, C-level pass over every line. It may refuse any line (a refused line
takes `WriteLoop._handle`, which applies every rule); what it must never do is accept a line and read it
differently from the general parse. So each accepted line here is also checked field by field against
`parse_line`, and each refused one must raise one of `DECODE_ERRORS`: anything else would escape the write loop's
`except` and fail the sync.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from dockyard_runtime.destination.envelope import DECODE_ERRORS, MAX_EMITTED_AT, RecordLine, decode_record_line
from dockyard_runtime.destination.input import parse_line

EMITTED = 1_700_000_000_000


def line(record: bytes = b'"stream":"people","data":{"id":1},"emitted_at":1700000000000', top: bytes = b"") -> bytes:
    """A RECORD line whose `record` object holds `record` (its members' JSON text) and `top` extra members."""
    return b'{"type":"RECORD","record":{%s}%s}' % (record, top)


def accepted(raw: bytes) -> RecordLine:
    """Decode `raw`, checking the envelope reads it as the general parse does."""
    decoded = decode_record_line(raw)
    general: dict[str, Any] = parse_line(raw)["record"]
    body = decoded.record
    assert body.stream == general["stream"]
    assert body.emitted_at == general["emitted_at"]
    assert body.namespace == general.get("namespace")
    assert body.meta == general.get("meta")
    assert parse_line(bytes(body.data)) == general["data"], "the raw data is the source's data object"
    return decoded


def refused(raw: bytes) -> None:
    with pytest.raises(DECODE_ERRORS):
        decode_record_line(raw)


# -- the common line ---------------------------------------------------------------------------------------------


def test_a_plain_record_decodes_with_its_data_kept_as_raw_json() -> None:
    raw = line(b'"stream":"people","data":{"id": 1, "name" : "a\\tb", "n": 1.50},"emitted_at":1700000000000')
    record = accepted(raw).record
    assert (record.stream, record.emitted_at, record.namespace, record.meta) == ("people", EMITTED, None, None)
    assert bytes(record.data) == b'{"id": 1, "name" : "a\\tb", "n": 1.50}', "the data's text is untouched"


def test_member_order_does_not_matter() -> None:
    raw = b'{"record":{"emitted_at":5,"data":{},"stream":"s","namespace":"ns"},"type":"RECORD"}'
    record = accepted(raw).record
    assert (record.stream, record.namespace, record.emitted_at, bytes(record.data)) == ("s", "ns", 5, b"{}")


@pytest.mark.parametrize(
    "ending", [b"\n", b"\r\n", b"\r", b"  \n", b"\n\n"], ids=["lf", "crlf", "cr", "spaces", "lflf"]
)
def test_a_trailing_line_ending_is_whitespace(ending: bytes) -> None:
    assert accepted(line() + ending).record.emitted_at == EMITTED


def test_leading_whitespace_is_accepted() -> None:
    assert accepted(b" \t" + line()).record.stream == "people"


def test_escaped_stream_names_decode_to_their_text() -> None:
    record = accepted(line(b'"stream":"caf\\u00e9 \\"q\\"","data":{},"emitted_at":0')).record
    assert record.stream == 'café "q"'


# -- other message types and broken lines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        {"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {}}}},
        {"type": "LOG", "log": {"level": "INFO", "message": "hello"}},
        {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1.0, "error": {"message": "x"}}},
        {"type": "record", "record": {"stream": "s", "data": {}, "emitted_at": 0}},
        {"record": {"stream": "s", "data": {}, "emitted_at": 0}},
        {"type": None, "record": {"stream": "s", "data": {}, "emitted_at": 0}},
        {"type": "RECORD"},
        {"type": "RECORD", "record": None},
        {"type": "RECORD", "record": [1]},
    ],
    ids=["state", "log", "trace", "lowercase-type", "no-type", "null-type", "no-record", "null-record", "list-record"],
)
def test_other_messages_are_refused(message: dict[str, Any]) -> None:
    refused(orjson.dumps(message))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n",
        b"not json",
        b'{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":0}',  # cut short
        line() + b" trailing",
        line() + b"\n" + line(),  # two messages on one line
        b"\xef\xbb\xbf" + line(),  # a byte order mark
        line(b'"stream":"s","data":{"a":NaN},"emitted_at":0'),
        line(b'"stream":"s","data":{"a":1,},"emitted_at":0'),
        b"[1, 2]",
        b'"RECORD"',
    ],
    ids=[
        "empty",
        "blank",
        "text",
        "truncated",
        "trailing-garbage",
        "two-messages",
        "bom",
        "nan",
        "trailing-comma",
        "array",
        "string",
    ],
)
def test_malformed_lines_are_refused(raw: bytes) -> None:
    refused(raw)


# -- stream and data -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        b'"data":{},"emitted_at":0',
        b'"stream":null,"data":{},"emitted_at":0',
        b'"stream":5,"data":{},"emitted_at":0',
        b'"stream":["s"],"data":{},"emitted_at":0',
    ],
    ids=["absent", "null", "number", "list"],
)
def test_a_stream_that_is_not_a_string_is_refused(record: bytes) -> None:
    refused(line(record))


def test_missing_data_is_refused() -> None:
    refused(line(b'"stream":"s","emitted_at":0'))


@pytest.mark.parametrize("data", [b"null", b"[1,2]", b'"text"', b"5", b"true"])
def test_data_that_is_not_an_object_still_decodes_as_raw(data: bytes) -> None:
    """The envelope does not look inside `data`: the write loop sends a non-object to the full rules, which count
    the line as malformed."""
    record = accepted(line(b'"stream":"s","data":%s,"emitted_at":0' % data)).record
    assert bytes(record.data) == data


def test_data_with_whitespace_and_nesting_is_kept_whole() -> None:
    data = b'{ "a" : [1, {"b": "}"}] ,"c":{"d":{}} }'
    assert bytes(accepted(line(b'"stream":"s","data":%s,"emitted_at":0' % data)).record.data) == data


# -- emitted_at --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [(b"0", 0), (b"-0", 0), (b"1700000000000", EMITTED), (str(MAX_EMITTED_AT).encode(), MAX_EMITTED_AT)],
    ids=["zero", "minus-zero", "now", "limit"],
)
def test_integer_emitted_at_in_range_is_accepted(text: bytes, value: int) -> None:
    assert accepted(line(b'"stream":"s","data":{},"emitted_at":%s' % text)).record.emitted_at == value


@pytest.mark.parametrize(
    "text",
    [
        b"-1",
        str(-EMITTED).encode(),
        str(MAX_EMITTED_AT + 1).encode(),
        b"18446744073709551616",
        b"1" + b"0" * 40,
        b"1700000000000.0",
        b"1700000000000.7",
        b"1.7e12",
        b'"1700000000000"',
        b"null",
        b"true",
        b"{}",
    ],
    ids=[
        "minus-one",
        "negative",
        "beyond-2**53",
        "beyond-64-bits",
        "forty-digits",
        "float-integral",
        "float-fraction",
        "exponent",
        "string",
        "null",
        "boolean",
        "object",
    ],
)
def test_emitted_at_that_is_not_an_integer_in_range_is_refused(text: bytes) -> None:
    """The write loop's full rules decide these (a float is truncated, null is 0, a negative is kept, a string is
    malformed...): the envelope only takes the one case it reads exactly as they do."""
    refused(line(b'"stream":"s","data":{},"emitted_at":%s' % text))


def test_absent_emitted_at_is_refused() -> None:
    refused(line(b'"stream":"s","data":{}'))


# -- namespace and meta ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [(b"null", None), (b'"sales"', "sales"), (b'""', "")], ids=["null", "string", "empty"]
)
def test_namespace_null_or_string_is_accepted(text: bytes, value: str | None) -> None:
    assert accepted(line(b'"stream":"s","namespace":%s,"data":{},"emitted_at":0' % text)).record.namespace == value


def test_absent_namespace_is_none() -> None:
    assert accepted(line()).record.namespace is None


@pytest.mark.parametrize("text", [b"5", b"true", b'["a"]', b'{"a":1}'], ids=["number", "boolean", "list", "object"])
def test_namespace_of_another_type_is_refused(text: bytes) -> None:
    refused(line(b'"stream":"s","namespace":%s,"data":{},"emitted_at":0' % text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"null", None),
        (b"{}", {}),
        (b'{"changes":[]}', {"changes": []}),
        (
            b'{"changes":[{"field":"a","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}]}',
            {"changes": [{"field": "a", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]},
        ),
        (b"[1]", [1]),
    ],
    ids=["null", "empty", "no-changes", "changes", "list"],
)
def test_meta_decodes_whatever_it_holds(text: bytes, value: Any) -> None:
    """The write loop sends any record whose meta is not None to the full rules, which read its changes."""
    assert accepted(line(b'"stream":"s","data":{},"emitted_at":0,"meta":%s' % text)).record.meta == value


def test_absent_meta_is_none() -> None:
    assert accepted(line()).record.meta is None


# -- members the envelope does not know ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "top"),
    [
        (b'"stream":"s","data":{},"emitted_at":0,"extra":{"x":[1]}', b""),
        (b'"stream":"s","data":{},"emitted_at":0', b',"extra":1'),
        (b'"stream":"s","data":{},"emitted_at":0', b',"state":{"x":1},"log":null'),
    ],
    ids=["in-record", "top-level", "other-message-members"],
)
def test_unknown_members_are_ignored(record: bytes, top: bytes) -> None:
    record_line = accepted(line(record, top))
    assert (record_line.type, record_line.record.stream) == ("RECORD", "s")


def test_a_repeated_member_keeps_the_last_value_as_the_general_parse_does() -> None:
    record = accepted(line(b'"stream":"a","data":{},"emitted_at":1,"emitted_at":2,"stream":"b"')).record
    assert (record.stream, record.emitted_at) == ("b", 2)
