"""Same seed and count give the same records, however the read is sliced or resumed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard_runtime.source.capture import records_of, states_of

Read = Callable[..., list[dict[str, Any]]]


def test_same_seed_and_count_give_identical_records(read: Read) -> None:
    config = {"count": 1500, "seed": 7}
    first, second = read(config), read(config)
    assert records_of(first) == records_of(second)
    assert len(records_of(first)) == 1500 + 100 + 1500


def test_output_is_identical_apart_from_emitted_at(read: Read) -> None:
    runs = []
    for _ in range(2):
        messages = read({"count": 50, "seed": 3})
        for message in messages:
            message.get("record", {}).pop("emitted_at", None)
            message.get("trace", {}).pop("emitted_at", None)
        runs.append(messages)
    assert runs[0] == runs[1]


def test_another_seed_gives_other_records(read: Read) -> None:
    a = records_of(read({"count": 20, "seed": 1}, "users"))
    b = records_of(read({"count": 20, "seed": 2}, "users"))
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert [r["name"] for r in a] != [r["name"] for r in b]


def test_default_seed_is_fixed(read: Read) -> None:
    assert records_of(read({"count": 5}, "users")) == records_of(read({"count": 5, "seed": 42}, "users"))


def test_slice_size_does_not_change_records(read: Read) -> None:
    whole = records_of(read({"count": 2345, "records_per_slice": 5000}))
    sliced = records_of(read({"count": 2345, "records_per_slice": 333}))
    assert whole == sliced


def test_resuming_mid_block_gives_the_rest_of_a_full_read(read: Read) -> None:
    config = {"count": 2600, "records_per_slice": 700, "seed": 11}
    full = records_of(read(config, "purchases"))
    first_slice_state = states_of(read({**config, "count": 700}, "purchases"))[-1]
    rest = records_of(read(config, "purchases", state=[first_slice_state]))
    assert rest == full[700:]


def test_more_users_leave_earlier_users_unchanged(read: Read) -> None:
    small = records_of(read({"count": 10}, "users"))
    large = records_of(read({"count": 3000}, "users"))
    assert large[:10] == small
