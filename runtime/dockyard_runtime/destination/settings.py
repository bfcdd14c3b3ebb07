"""Batching knobs shared by every destination; each can be set in a destination's config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class WriteSettings:
    """When to hand buffered records to the loader, and when to commit.

    Memory is bounded by `batch_bytes` (input bytes buffered across all streams) and `batch_records`. A commit
    happens at a STATE once `commit_records` records or `commit_seconds` have passed since the last one, and
    at the end of input: committing only at state boundaries is what lets a replay be exactly-once.
    """

    batch_bytes: int = 32 * MiB
    batch_records: int = 50_000
    # Records are handed to the loader in chunks of at most this many records and input bytes (or the batch limits,
    # when smaller): a chunk small enough to stay in the CPU cache is typed and rendered far faster, and a loader
    # that wants large loads gathers chunks itself (the SQL loader does, up to the batch limits).
    chunk_records: int = 5_000
    chunk_bytes: int = 4 * MiB
    # Staged records that may wait for the engine (in the worker's queue) while reading goes on: enough to keep
    # reading through a long commit, few enough to bound memory (jobs hold rendered batches, not records).
    queued_records: int = 200_000
    commit_records: int = 200_000
    commit_seconds: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WriteSettings:
        defaults = cls()
        return cls(
            batch_bytes=int(config.get("batch_size_mb") or defaults.batch_bytes // MiB) * MiB,
            batch_records=int(config.get("batch_size_records") or defaults.batch_records),
            commit_records=int(config.get("commit_every_records") or defaults.commit_records),
            commit_seconds=float(config.get("commit_every_seconds") or defaults.commit_seconds),
        )

    @property
    def handed_records(self) -> int:
        return min(self.batch_records, self.chunk_records)

    @property
    def handed_bytes(self) -> int:
        return min(self.batch_bytes, self.chunk_bytes)

    @property
    def queue_depth(self) -> int:
        """Jobs the worker may hold: `queued_records` worth of batches, at least one."""
        return max(1, self.queued_records // max(1, self.batch_records))
