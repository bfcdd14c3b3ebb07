"""Decoding the common RECORD line in two C-level passes, without a Python dict per record.

The envelope pass reads `type`, `stream`, `namespace`, `emitted_at` and `meta` and keeps the record's `data`
object as raw JSON; the write loop routes on the stream, then a decoder for that stream's table shape (the
loader's, see `TypedLoader`) turns the raw data into a typed record, validating every value's type as it goes.
Whatever either pass refuses takes the write loop's full rules, so this module only ever accepts lines the
general path would accept the same way: a RECORD with a data object, an integer emitted_at in range, no meta.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

MAX_EMITTED_AT = 2**53  # milliseconds: far past any real date, and exact in every engine's numeric types
# msgspec's refusals, and invalid UTF-8 in a string (which its decoders raise as UnicodeDecodeError)
DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)


class RecordBody(msgspec.Struct, gc=False):
    stream: str
    data: msgspec.Raw
    emitted_at: Annotated[int, msgspec.Meta(ge=0, le=MAX_EMITTED_AT)]
    namespace: str | None = None
    meta: Any = None


class RecordLine(msgspec.Struct, gc=False):
    type: Literal["RECORD"]
    record: RecordBody


decode_record_line = msgspec.json.Decoder(RecordLine).decode
