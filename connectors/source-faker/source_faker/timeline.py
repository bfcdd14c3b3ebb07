"""Where each record sits in time, and fast ISO 8601 formatting of those times.

Record `id` n of every stream was last updated at `EPOCH + n * STEP_SECONDS`, so the cursor (`updated_at`) grows
with the id and a state's cursor tells exactly which id to resume after; no clock is read, which is what makes
two reads with the same seed byte-identical.

Formatting goes through two lookup tables (the date of a day, the time of a second within a day) because
`datetime.isoformat` for every timestamp cost more than generating the rest of a record.
"""

from __future__ import annotations

from datetime import datetime, timezone

EPOCH = 1_577_836_800  # 2020-01-01T00:00:00+00:00: the updated_at of the (never emitted) record 0
STEP_SECONDS = 60
_DAY = 86_400

_dates: dict[int, str] = {}
_times: list[str] = []


def updated_at_seconds(record_id: int) -> int:
    return EPOCH + record_id * STEP_SECONDS


def last_id_at(seconds: float) -> int:
    """The largest id whose updated_at is at or before `seconds` (0 when none is)."""
    return max(0, int((seconds - EPOCH) // STEP_SECONDS))


def parse_cursor(value: object) -> float:
    """Seconds since the Unix epoch of an ISO 8601 cursor value; ValueError when it is not one."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _time_table() -> list[str]:
    if not _times:
        _times.extend(f"T{h:02d}:{m:02d}:{s:02d}+00:00" for h in range(24) for m in range(60) for s in range(60))
    return _times


def _ensure_dates(first_day: int, last_day: int) -> dict[int, str]:
    for day in range(first_day, last_day + 1):
        if day not in _dates:
            _dates[day] = datetime.fromtimestamp(day * _DAY, timezone.utc).strftime("%Y-%m-%d")
    return _dates


def format_many(seconds: list[int]) -> list[str]:
    """`YYYY-MM-DDTHH:MM:SS+00:00` for each whole second since the Unix epoch (UTC)."""
    if not seconds:
        return []
    dates = _ensure_dates(min(seconds) // _DAY, max(seconds) // _DAY)
    times = _time_table()
    return [dates[s // 86_400] + times[s % 86_400] for s in seconds]  # literals: no global lookup per item


def format_one(seconds: int) -> str:
    return format_many([seconds])[0]


def format_optional(seconds: list[int | None]) -> list[str | None]:
    """Like `format_many`, keeping None for a missing time."""
    present = [s for s in seconds if s is not None]
    if not present:
        return [None] * len(seconds)
    dates = _ensure_dates(min(present) // _DAY, max(present) // _DAY)
    times = _time_table()
    return [None if s is None else dates[s // 86_400] + times[s % 86_400] for s in seconds]
