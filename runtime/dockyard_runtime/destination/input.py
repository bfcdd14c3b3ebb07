"""Parsing input lines fast: orjson on the hot path, exact decimals only where a line needs them."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import orjson

# orjson reads every number as int64 or float; a line with a long digit run may hold a value that a float
# cannot represent exactly (a 20-digit integer, a 25-digit decimal), so that line takes the exact parser.
_LONG_NUMBER = re.compile(rb"[0-9.]{16,}")


def parse_line(line: bytes) -> Any:
    """Parse one JSON line; raises ValueError when it is not JSON."""
    if _LONG_NUMBER.search(line) is None:
        return orjson.loads(line)
    return json.loads(line, parse_float=Decimal)
