"""`PendingLoads`: rendered chunks wait per stream and join into one load only when that load is the same.

Each load here records what it was called with, so a test sees exactly which bytes went in one load, from which
sequence number, and in what order the loads ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dockyard_runtime.destination.catalog import StreamKey
from dockyard_runtime.sql.pending import Load, PendingLoads

USERS: StreamKey = (None, "users")
ORDERS: StreamKey = ("shop", "orders")
EVENTS: StreamKey = (None, "events")
CSV = ("copy_csv", ("id", "name"))
TSV = ("copy_tsv", ("id", "name"))

Loaded = list[tuple[str, bytes, int]]


@pytest.fixture
def loaded() -> Loaded:
    """(which load, data, first sequence number) of every load that ran, in the order they ran."""
    return []


def loader(loaded: Loaded, name: str) -> Load:
    def load(data: bytes, first: int) -> None:
        loaded.append((name, data, first))

    return load


def run(loads: list[Callable[[], None]]) -> int:
    for load in loads:
        load()
    return len(loads)


def pending(max_records: int = 1_000, max_bytes: int = 1 << 20) -> PendingLoads:
    return PendingLoads(max_records=max_records, max_bytes=max_bytes)


# -- joining -----------------------------------------------------------------------------------------------------------


def test_contiguous_chunks_of_one_stream_that_load_alike_become_one_load(loaded: Loaded) -> None:
    loads = pending()
    load = loader(loaded, "users")
    assert loads.add(USERS, CSV, load, b"a\n", 0, 1) == []
    assert loads.add(USERS, CSV, load, b"b\nc\n", 1, 2) == []
    assert loads.add(USERS, CSV, load, b"d\n", 3, 1) == []
    assert loaded == [], "nothing loads while the limits allow waiting"
    assert run(loads.take()) == 1
    assert loaded == [("users", b"a\nb\nc\nd\n", 0)]


def test_a_single_chunk_loads_its_own_bytes(loaded: Loaded) -> None:
    loads = pending()
    chunk = b"only\n"
    loads.add(USERS, CSV, loader(loaded, "users"), chunk, 7, 1)
    run(loads.take())
    assert loaded == [("users", chunk, 7)]
    assert loaded[0][1] is chunk, "one chunk is not copied"


def test_a_chunk_that_loads_differently_sends_the_pending_ones_first(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "csv"), b"a\n", 0, 1)
    loads.add(USERS, CSV, loader(loaded, "csv"), b"b\n", 1, 1)
    due = loads.add(USERS, TSV, loader(loaded, "tsv"), b"c\n", 2, 1)
    assert run(due) == 1
    assert loaded == [("csv", b"a\nb\n", 0)]
    loads.add(USERS, TSV, loader(loaded, "tsv"), b"d\n", 3, 1)
    run(loads.take())
    assert loaded == [("csv", b"a\nb\n", 0), ("tsv", b"c\nd\n", 2)]


def test_new_columns_load_differently(loaded: Loaded) -> None:
    """A batch that added a column renders one more field per row: it cannot share a COPY with earlier rows."""
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "old"), b"1,a\n", 0, 1)
    wider = ("copy_csv", ("id", "name", "extra"))
    assert run(loads.add(USERS, wider, loader(loaded, "new"), b"2,b,x\n", 1, 1)) == 1
    run(loads.take())
    assert loaded == [("old", b"1,a\n", 0), ("new", b"2,b,x\n", 1)]


@pytest.mark.parametrize("first", [5, 3, 0], ids=["gap", "overlap", "restart"])
def test_chunks_whose_sequence_numbers_do_not_follow_load_apart(loaded: Loaded, first: int) -> None:
    """A staged load starts numbering at its first sequence: a gap (rows discarded between) or a restart must
    not be numbered as if it followed on."""
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"a\nb\n", 2, 2)
    assert run(loads.add(USERS, CSV, loader(loaded, "users"), b"c\n", first, 1)) == 1
    run(loads.take())
    assert loaded == [("users", b"a\nb\n", 2), ("users", b"c\n", first)]


def test_streams_never_join(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"u1\n", 0, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o1\n", 1, 1)  # same how, and a sequence that would follow
    loads.add(USERS, CSV, loader(loaded, "users"), b"u2\n", 1, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o2\n", 2, 1)
    assert run(loads.take()) == 2
    assert loaded == [("users", b"u1\nu2\n", 0), ("orders", b"o1\no2\n", 1)]


def test_a_load_taken_is_not_changed_by_later_chunks(loaded: Loaded) -> None:
    """Loads run later, on the worker thread: what one holds is fixed when it is handed out."""
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"a\n", 0, 1)
    taken = loads.take()
    loads.add(USERS, CSV, loader(loaded, "users"), b"b\n", 1, 1)
    run(taken)
    assert loaded == [("users", b"a\n", 0)]
    run(loads.take())
    assert loaded == [("users", b"a\n", 0), ("users", b"b\n", 1)]


# -- limits ------------------------------------------------------------------------------------------------------------


def test_reaching_the_record_limit_sends_every_stream(loaded: Loaded) -> None:
    loads = pending(max_records=10)
    assert loads.add(USERS, CSV, loader(loaded, "users"), b"u" * 4, 0, 4) == []
    assert loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o" * 5, 0, 5) == []
    due = loads.add(USERS, CSV, loader(loaded, "users"), b"U", 4, 1)  # 10 records pending
    assert run(due) == 2
    assert loaded == [("users", b"uuuuU", 0), ("orders", b"ooooo", 0)]
    assert loads.take() == [], "nothing is left pending"


def test_reaching_the_byte_limit_sends_every_stream(loaded: Loaded) -> None:
    loads = pending(max_records=1_000, max_bytes=100)
    assert loads.add(USERS, CSV, loader(loaded, "users"), b"u" * 60, 0, 1) == []
    assert loads.add(EVENTS, TSV, loader(loaded, "events"), b"e" * 39, 0, 1) == []
    due = loads.add(EVENTS, TSV, loader(loaded, "events"), b"E", 1, 1)
    assert run(due) == 2
    assert loaded == [("users", b"u" * 60, 0), ("events", b"e" * 39 + b"E", 0)]


def test_a_chunk_at_the_limit_by_itself_loads_at_once(loaded: Loaded) -> None:
    loads = pending(max_records=3)
    assert run(loads.add(USERS, CSV, loader(loaded, "users"), b"abc", 0, 3)) == 1
    assert loaded == [("users", b"abc", 0)]


def test_counts_forget_what_was_taken_or_dropped(loaded: Loaded) -> None:
    """Limits bound what is pending now, not what ever was: a take or a drop frees its share."""
    loads = pending(max_records=10, max_bytes=100)
    loads.add(USERS, CSV, loader(loaded, "users"), b"u" * 90, 0, 9)
    run(loads.take([USERS]))
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o" * 90, 0, 9)
    loads.drop([ORDERS])
    assert loads.add(EVENTS, CSV, loader(loaded, "events"), b"e" * 90, 0, 9) == [], "only 9 records are pending"
    assert len(loads.add(EVENTS, CSV, loader(loaded, "events"), b"E", 9, 1)) == 1, "and the tenth sends them"


def test_a_load_sent_for_a_different_how_does_not_double_count(loaded: Loaded) -> None:
    loads = pending(max_records=4)
    loads.add(USERS, CSV, loader(loaded, "csv"), b"a", 0, 3)
    assert len(loads.add(USERS, TSV, loader(loaded, "tsv"), b"b", 3, 1)) == 1, "the CSV chunk went; 1 record waits"
    assert loads.add(USERS, TSV, loader(loaded, "tsv"), b"c", 4, 1) == [], "2 records pending, under the limit"


# -- take and drop -----------------------------------------------------------------------------------------------------


def test_take_of_some_streams_leaves_the_others_pending(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"u\n", 0, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o\n", 0, 1)
    loads.add(EVENTS, CSV, loader(loaded, "events"), b"e\n", 0, 1)
    assert run(loads.take([ORDERS, (None, "not staged")])) == 1
    assert loaded == [("orders", b"o\n", 0)]
    assert loads.take([ORDERS]) == [], "taken once only"
    run(loads.take())
    assert loaded == [("orders", b"o\n", 0), ("users", b"u\n", 0), ("events", b"e\n", 0)]


def test_take_follows_the_order_it_is_given(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"u\n", 0, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o\n", 0, 1)
    run(loads.take([ORDERS, USERS]))
    assert [name for name, _, _ in loaded] == ["orders", "users"]


def test_drop_forgets_chunks_which_never_load(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"u\n", 0, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o\n", 0, 1)
    loads.drop([USERS])
    run(loads.take())
    assert loaded == [("orders", b"o\n", 0)]


def test_drop_of_everything(loaded: Loaded) -> None:
    loads = pending()
    loads.add(USERS, CSV, loader(loaded, "users"), b"u\n", 0, 1)
    loads.add(ORDERS, CSV, loader(loaded, "orders"), b"o\n", 0, 1)
    loads.drop()
    assert loads.take() == []
    loads.add(USERS, CSV, loader(loaded, "users"), b"v\n", 1, 1)  # a stream starts afresh after a drop
    run(loads.take())
    assert loaded == [("users", b"v\n", 1)]


def test_nothing_pending_gives_no_loads() -> None:
    loads = pending()
    assert loads.take() == []
    assert loads.take([USERS]) == []
    loads.drop([USERS])  # forgetting nothing is fine


def _unused(*args: Any) -> None:  # pragma: no cover - a load that must never run
    raise AssertionError("a dropped chunk was loaded")


def test_dropped_loads_are_never_called() -> None:
    loads = pending(max_records=2)
    loads.add(USERS, CSV, _unused, b"x", 0, 1)
    loads.drop()
    assert loads.add(ORDERS, CSV, _unused, b"y", 0, 1) == []
    loads.drop([ORDERS])
    assert loads.take() == []
