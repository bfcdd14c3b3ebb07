"""The shared SQL loader: staging tables, sync modes, schema evolution, generations and a state ledger.

Per stream there is a final table and a staging table. `stage` bulk-loads a batch into staging (CSV through
the client); `commit` moves staging into the final table in one transaction — append, or dedup where the
newest cursor per primary key wins — together with the ledger rows of the states it covers. Records that
no state covers yet (a stream whose next state has not arrived) stay staged for a later commit: a replay
resends them, so committing them early would duplicate them. Truncating streams (overwrite, truncate
refreshes) load into a shadow table that replaces the final table at `finish`, so a failed sync never leaves a
truncated or half-loaded table behind; a retried attempt of the same sync keeps loading the same shadow table,
and a ledger marker says when the swap already happened.

Calls made during the write (`stage`, `commit`, `discard_staged`, `finish`) do their Python work at once —
normalizing, rendering CSV, planning statements from the current table shapes and sequence numbers — and return
a job holding only the database work, which the write loop runs on its background thread, in order. Nothing a
job reads is changed by later calls, so the engine can load one batch while the next one is being prepared.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import orjson

from dockyard_runtime.destination.catalog import StreamConfig, StreamKey
from dockyard_runtime.destination.loader import Job, Record
from dockyard_runtime.destination.settings import WriteSettings
from dockyard_runtime.errors import ConfigError
from dockyard_runtime.logs import get_logger
from dockyard_runtime.sql.dialect import SqlClient, SqlDialect
from dockyard_runtime.sql.names import ColumnNamer, normalize
from dockyard_runtime.sql.normalize import Batch, Column, TableShape
from dockyard_runtime.sql.pending import PendingLoads
from dockyard_runtime.sql.typed import TypedShape, as_records, is_typed, typed_columns, typed_shape
from dockyard_runtime.sql.types import LogicalType, from_json_schema, is_numeric_widening, widen

logger = get_logger("sql")

RAW_ID, EXTRACTED_AT, META, GENERATION = (
    "_airbyte_raw_id",
    "_airbyte_extracted_at",
    "_airbyte_meta",
    "_airbyte_generation_id",
)
AIRBYTE_COLUMNS = (RAW_ID, EXTRACTED_AT, META, GENERATION)
STAGE_EXTRA = ("_dy_emitted_at", "_dy_seq", "_dy_meta")
LEDGER_TABLE = "_airbyte_destination_state"
LEDGER_RETENTION = timedelta(days=7)
Step = str | Callable[[], None]  # a statement, or a call such as a bulk load
CDC_DELETED_AT = "_ab_cdc_deleted_at"
MAX_TRACKED_KEYS = 1_000_000  # keys Python keeps, all streams together (about 65 MiB of integers)


@dataclass(frozen=True)
class SqlLoaderOptions:
    """Behaviour users choose in a SQL destination's config."""

    default_schema: str
    unique_conflict_method: str = "update"  # or "ignore": keep the row already in the table
    hard_delete_cdc: bool = False  # delete rows whose winning record has `_ab_cdc_deleted_at` set
    schema_change_policy: str = "evolve"  # or "fail"
    # Staged chunks are rendered at once but loaded together, once this many records or rendered bytes wait.
    load_records: int = 50_000
    load_bytes: int = 32 << 20


def with_load_limits(options: SqlLoaderOptions, config: Mapping[str, Any]) -> SqlLoaderOptions:
    """`options` with load limits from a destination config's batch settings (`batch_size_mb`,
    `batch_size_records`): one setting bounds what the write loop buffers and what one load holds."""
    settings = WriteSettings.from_config(config)
    return dataclasses.replace(options, load_records=settings.batch_records, load_bytes=settings.batch_bytes)


class SchemaChangeError(ConfigError):
    """Raised when `schema_change_policy` is `fail` and the data needs a table change."""


@dataclass
class _Stream:
    config: StreamConfig
    schema: str
    final_name: str
    stage_name: str
    stage_table: str  # the staging table's qualified name (the dialect decides where staging lives)
    shadow_name: str
    shape: TableShape
    truncates: bool  # this attempt loads the shadow table and swaps it in at `finish`
    seq: int = 0  # the next staged row's _dy_seq
    merged: int = 0  # staged rows below this _dy_seq were committed (or discarded) and deleted from staging
    key_index: str | None = None  # the key index created on the target table, if any
    # Dedup streams: the primary keys of the rows in staging, while they are known to be distinct (None once a key
    # repeated or a batch's keys could not be compared in Python): then the merge skips its window over staging.
    staged_keys: set[Any] | None = dataclasses.field(default_factory=set)
    # Dedup streams whose table this sync created: its key index is built once the rows are in (at `finish`, or
    # when a key comes back), and until then `loaded_keys` (the keys merged so far) says which keys it holds.
    index_deferred: bool = False
    loaded_keys: set[Any] | None = None

    @property
    def staged(self) -> int:
        return self.seq - self.merged

    def target_name(self) -> str:
        return self.shadow_name if self.truncates else self.final_name


def state_hash(state: Mapping[str, Any]) -> str:
    """Identity of a state for the ledger (its echoed statistics excluded)."""
    clean = {k: v for k, v in state.items() if k not in ("destinationStats", "sourceStats")}
    return hashlib.sha256(orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _copy(
    copy: Callable[[str, list[str], bytes], None], table: str, columns: list[str], data: bytes, first: int
) -> None:
    copy(table, columns, data)


def finish_marker(config: StreamConfig) -> str:
    """Ledger entry saying this sync already swapped in (or cleaned up) the stream's table at `finish`."""
    return "finish:" + hashlib.sha256(orjson.dumps([config.namespace, config.name])).hexdigest()


class SqlLoader:
    """`Loader` for SQL engines; engine specifics come from `dialect` and `client`."""

    def __init__(self, client: SqlClient, dialect: SqlDialect, options: SqlLoaderOptions) -> None:
        self.client = client
        self.dialect = dialect
        self.options = options
        self.streams: dict[StreamKey, _Stream] = {}
        self.sync_id: int | None = None
        self.committed_states: set[str] = set()  # ledger entries of earlier attempts of this sync
        # A state repeats when its cursor did not move; its ledger entry is "<hash>#<occurrence>", so a replay
        # only drops as many copies as an earlier attempt committed.
        self._checked: Counter[str] = Counter()
        self._recorded: Counter[str] = Counter()
        self._plan: list[Step] | None = None  # where statements go while a job is being planned
        self.pending = PendingLoads(options.load_records, options.load_bytes)

    # -- planning and running -------------------------------------------------------------------------------
    def _run(self, sql: str) -> None:
        """Execute now, or add to the job being planned."""
        if self._plan is not None:
            self._plan.append(sql)
        else:
            self.client.execute(sql)

    def _run_step(self, step: Callable[[], None]) -> None:
        """Call now, or add to the job being planned (a step that decides at run time what to execute)."""
        if self._plan is not None:
            self._plan.append(step)
        else:
            step()

    @contextmanager
    def _planning(self) -> Iterator[list[Step]]:
        plan: list[Step] = []
        self._plan = plan
        try:
            yield plan
        finally:
            self._plan = None

    def _execute(self, plan: Sequence[Step]) -> None:
        for step in plan:
            if isinstance(step, str):
                self.client.execute(step)
            else:
                step()

    def _job(self, steps: Sequence[Step]) -> Job | None:
        return partial(self._execute, steps) if steps else None

    def _clear_staged(self, stream: _Stream, below: int) -> None:
        """Delete staged rows below sequence number `below` (TRUNCATE when those are all of them)."""
        if below >= stream.seq:
            self._run(self.dialect.clear_table(stream.stage_table))
        else:
            self._run(f"DELETE FROM {stream.stage_table} WHERE _dy_seq < {int(below)}")

    def _transaction(self, plan: list[Step]) -> None:
        self.client.begin()
        try:
            self._execute(plan)
            self.client.commit()
        except BaseException:
            self.client.rollback()
            raise

    # -- names ----------------------------------------------------------------------------------------------
    def _ident(self, name: str) -> str:
        return normalize(name, self.dialect.max_identifier_bytes)

    def _q(self, stream: _Stream, name: str) -> str:
        return self.dialect.table(stream.schema, name)

    def _schema_of(self, config: StreamConfig) -> str:
        return self._ident(config.namespace or self.options.default_schema)

    def _table_names(self, streams: Mapping[StreamKey, StreamConfig]) -> dict[StreamKey, str]:
        """Final table names; streams whose names normalize alike ("Users", "users") must not share a table.

        The stream whose name already is the identifier keeps it, the others get a hash suffix, so the mapping
        only depends on the colliding names themselves and stays the same sync after sync.
        """
        groups: dict[tuple[str, str], list[StreamConfig]] = {}
        for config in streams.values():
            groups.setdefault((self._schema_of(config), self._ident(config.name)), []).append(config)
        names: dict[StreamKey, str] = {}
        for (_, name), configs in groups.items():
            configs.sort(key=lambda c: (c.name != name, c.name))
            names[configs[0].key] = name
            for config in configs[1:]:
                names[config.key] = normalize(config.name, self.dialect.max_identifier_bytes, hashed=True)
        return names

    # -- open -----------------------------------------------------------------------------------------------
    def open(self, streams: Mapping[StreamKey, StreamConfig]) -> None:
        ids = {s.sync_id for s in streams.values()}
        self.sync_id = ids.pop() if len(ids) == 1 else None
        resuming = self._open_ledger()
        names = self._table_names(streams)
        for key, config in streams.items():
            self.streams[key] = self._open_stream(config, names[key], resuming)

    def _open_ledger(self) -> bool:
        if self.sync_id is None:
            return False
        d = self.dialect
        schema = self._ident(self.options.default_schema)
        table = d.table(schema, LEDGER_TABLE)
        self.client.execute(d.create_schema(schema))
        self.client.execute(
            d.create_table(table, [("sync_id", "BIGINT"), ("state_hash", d.text_type), ("committed_at", d.text_type)])
        )
        rows = self.client.query(f"SELECT state_hash FROM {table} WHERE sync_id = {int(self.sync_id)}")
        self.committed_states = {r[0] for r in rows}
        return bool(self.committed_states)

    def _open_stream(self, config: StreamConfig, final_name: str, resuming: bool) -> _Stream:
        d = self.dialect
        schema = self._schema_of(config)
        namer = ColumnNamer(d.max_identifier_bytes, reserved=AIRBYTE_COLUMNS + STAGE_EXTRA)
        properties = config.json_schema.get("properties") or {}
        declared = [
            Column(field=str(f), name=namer.name_for(str(f)), type=from_json_schema(s), declared=True)
            for f, s in properties.items()
        ]
        stream = _Stream(
            config=config,
            schema=schema,
            final_name=final_name,
            stage_name=self._ident(f"_dy_stage_{final_name}"),
            stage_table=d.staging_table(schema, self._ident(f"_dy_stage_{final_name}")),
            shadow_name=self._ident(f"_dy_shadow_{final_name}"),
            shape=TableShape(declared, namer.name_for, exact_numbers=self.dialect.exact_numbers),
            # A retried attempt that already swapped the table in appends whatever it still loads.
            truncates=config.truncates and finish_marker(config) not in self.committed_states,
        )
        self.client.execute(d.create_schema(schema))
        if stream.truncates and not resuming:  # a shadow left by another sync holds nothing of this one
            self.client.execute(d.drop_table(self._q(stream, stream.shadow_name)))
        target = stream.target_name()  # the final table is left alone until the swap when truncating
        existing = self.client.table_columns(schema, target)
        if existing is not None:
            self._reconcile(stream, target, existing)
        self._create(stream, target)
        self.client.execute(d.drop_table(stream.stage_table))
        self._create(stream, stream.stage_table, staging=True)
        if config.sync_mode == "append_dedup" and existing is None:  # every row will come from this sync
            stream.index_deferred = True
            stream.loaded_keys = set()
        elif config.sync_mode == "append_dedup":
            self._index_keys(stream, target)
        return stream

    def _reconcile(self, stream: _Stream, table_name: str, existing: Mapping[str, str]) -> None:
        """Compare the catalog's columns with the table's: widen what the schema widened, keep extra columns."""
        d = self.dialect
        by_name = {c.name: c for c in stream.shape.columns}
        for name, sql_type in existing.items():
            if name in AIRBYTE_COLUMNS:
                continue
            current = d.logical_from_sql(sql_type)
            column = by_name.get(name)
            if column is None:  # a column from an earlier sync's data: keep it and keep filling it
                stream.shape.columns.append(Column(field=name, name=name, type=current, declared=False))
                continue
            wanted = widen(current, column.type)
            if d.type_sql(wanted) != d.type_sql(current) and wanted != current:
                self._schema_change(stream, f"widen column {name} from {current.value} to {wanted.value}")
                self.client.execute(d.alter_column_type(self._q(stream, table_name), name, current, wanted))
            column.type = wanted
        self._add_missing(stream, table_name, existing)

    def _add_missing(self, stream: _Stream, table_name: str, existing: Mapping[str, str]) -> None:
        for column in stream.shape.columns:
            if column.name not in existing:
                self._schema_change(stream, f"add column {column.name} ({column.type.value})")
                self.client.execute(
                    self.dialect.add_column(
                        self._q(stream, table_name), column.name, self.dialect.type_sql(column.type)
                    )
                )

    def _schema_change(self, stream: _Stream, what: str) -> None:
        if self.options.schema_change_policy == "fail":
            raise SchemaChangeError(
                f"Stream {stream.config.label} needs a schema change ({what}) and schema_change_policy is 'fail'."
            )
        logger.info("Schema change on %s.%s: %s.", stream.schema, stream.final_name, what)

    def _create(self, stream: _Stream, name: str, *, staging: bool = False) -> None:
        d = self.dialect
        data = [(c.name, d.type_sql(c.type)) for c in stream.shape.columns]
        if staging:
            columns = [*data, ("_dy_emitted_at", "BIGINT"), ("_dy_seq", "BIGINT"), ("_dy_meta", d.text_type)]
        else:
            airbyte = [
                (RAW_ID, d.raw_id_type),
                (EXTRACTED_AT, d.type_sql(LogicalType.TIMESTAMP_TZ)),
                (META, d.meta_type),
                (GENERATION, "BIGINT"),
            ]
            columns = airbyte + data
        table = name if staging else self._q(stream, name)  # staging comes qualified (`staging_table`)
        self.client.execute(d.create_table(table, columns, staging=staging))

    def _index_keys(self, stream: _Stream, table_name: str) -> None:
        keys = self._key_columns(stream)
        if keys:
            name = self._ident(f"{table_name}_pk_idx")
            sql = self.dialect.create_key_index(self._q(stream, table_name), name, keys)
            if sql:
                self._run(sql)
                stream.key_index = name

    def _key_columns(self, stream: _Stream) -> list[str]:
        names = {c.field: c.name for c in stream.shape.columns}
        return [names[path[0]] for path in stream.config.primary_key if path and path[0] in names]

    # -- stage ----------------------------------------------------------------------------------------------
    def record_decoder(self, config: StreamConfig) -> Callable[[bytes], Any] | None:
        """The decoder of a RECORD's data for the stream's current columns (see `sql.typed`): the write loop asks
        again after every batch it stages, since a batch may add or widen columns."""
        shape = self._typed(self.streams[config.key])
        return shape.decode if shape is not None else None

    def _typed(self, stream: _Stream) -> TypedShape | None:
        columns = stream.shape.columns
        fields, kinds = tuple(c.field for c in columns), tuple(c.type for c in columns)
        return typed_shape(fields, kinds, raw_json=self.dialect.json_normalizes)

    def _batch(self, stream: _Stream, records: list[Record]) -> Batch:
        """The batch normalized: straight from typed records when they need nothing more, else by the full rules."""
        shape = self._typed(stream)
        if shape is not None and is_typed(shape, records):
            columns = typed_columns(shape, records, stream.seq, exact_numbers=self.dialect.exact_numbers)
            if columns is not None:
                return Batch(columns=stream.shape.columns, rows=[], columnar=columns)
        return stream.shape.normalize(as_records(records), stream.seq, self.sync_id)

    def stage(self, config: StreamConfig, records: list[Record]) -> Job | None:
        stream = self.streams[config.key]
        batch = self._batch(stream, records)
        first = stream.seq
        stream.seq += len(records)
        with self._planning() as plan:
            self._evolve(stream, batch.added, batch.widened)
        steps: list[Step] = []
        if plan:  # what was staged before the change loads before it
            steps += [*self.pending.take([config.key]), *plan]
        self._track_keys(stream, batch)
        columns = [c.name for c in batch.columns] + list(STAGE_EXTRA)
        copy, data = self._rendered(batch)
        load = partial(_copy, copy, stream.stage_table, columns)
        steps += self.pending.add(config.key, (copy, tuple(columns)), load, data, first, len(records))
        return self._job(steps)

    def _track_keys(self, stream: _Stream, batch: Batch) -> None:
        """Keep the staged primary keys of a dedup stream while they are all distinct. Only keys Python compares
        as the engine does (integers, text, booleans) count; anything else gives up until staging empties."""
        if stream.config.sync_mode != "append_dedup" or stream.staged_keys is None:
            return
        names = self._key_columns(stream)
        index = {c.name: i for i, c in enumerate(batch.columns)}
        comparable = (LogicalType.INTEGER, LogicalType.BIG_INTEGER, LogicalType.STRING, LogicalType.BOOLEAN)
        if (
            batch.columnar is None
            or not names
            or any(batch.columns[index[n]].type not in comparable for n in names)
            or len(stream.staged_keys) > MAX_TRACKED_KEYS
        ):
            stream.staged_keys = None
            return
        columns = [batch.columnar[index[n]] for n in names]
        keys = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        before = len(stream.staged_keys)
        stream.staged_keys.update(keys)
        if len(stream.staged_keys) != before + len(keys):
            stream.staged_keys = None

    def _rendered(self, batch: Batch) -> tuple[Callable[[str, list[str], bytes], None], bytes]:
        """The cheapest form the client reads: PostgreSQL's COPY text format, or unescaped tab-separated values
        when no value needs quoting, both half the cost of CSV to render; CSV otherwise."""
        copy_text: Callable[[str, list[str], bytes], None] | None = getattr(self.client, "copy_text", None)
        copy_tsv: Callable[[str, list[str], bytes], None] | None = getattr(self.client, "copy_tsv", None)
        if copy_text is not None:
            return copy_text, batch.to_text()
        tsv = batch.to_tsv() if copy_tsv is not None else None
        if copy_tsv is not None and tsv is not None:
            return copy_tsv, tsv
        return self.client.copy_csv, batch.to_csv()

    def _evolve(
        self, stream: _Stream, added: list[Column], widened: Mapping[str, tuple[LogicalType, LogicalType]]
    ) -> None:
        """Apply this batch's new columns and widened types to the staging and target tables."""
        if not added and not widened:
            return
        d = self.dialect
        tables = {stream.stage_table, self._q(stream, stream.target_name())}
        for column in added:
            self._schema_change(stream, f"add column {column.name} ({column.type.value}) for a new field")
            for table in tables:
                self._run(d.add_column(table, column.name, d.type_sql(column.type)))
        added_fields = {c.field for c in added}
        for column in stream.shape.columns:
            if column.field in widened and column.field not in added_fields:
                old, new = widened[column.field]
                if d.type_sql(old) == d.type_sql(new):
                    continue
                if column.declared and not is_numeric_widening(old, new):
                    continue
                self._schema_change(stream, f"widen column {column.name} from {old.value} to {new.value}")
                for table in tables:
                    self._run(d.alter_column_type(table, column.name, old, new))

    # -- commit ---------------------------------------------------------------------------------------------
    def commit(self, states: list[dict[str, Any]], uncovered: Mapping[StreamKey, int] | None = None) -> Job:
        held = uncovered or {}
        bounds = {key: stream.seq - held.get(key, 0) for key, stream in self.streams.items()}
        with self._planning() as plan:
            for key, stream in self.streams.items():
                if bounds[key] > stream.merged:
                    self._merge(stream, bounds[key])
            self._record_states(states)
        for key, stream in self.streams.items():
            stream.merged = max(stream.merged, bounds[key])
        return partial(self._load_then_commit, self.pending.take(), plan)

    def _load_then_commit(self, loads: Sequence[Step], plan: list[Step]) -> None:
        self._execute(loads)  # staging loads commit by themselves: a failure after them leaves them staged only
        self._transaction(plan)

    def _merge(self, stream: _Stream, bound: int) -> None:
        """Move staged rows below `bound` (those the committed states cover) into the target table."""
        d = self.dialect
        stage = stream.stage_table
        target = self._q(stream, stream.target_name())
        data = [d.quote(c.name) for c in stream.shape.columns]
        values = [
            d.json_value(f"s.{q}") if c.type is LogicalType.JSON else f"s.{q}"
            for c, q in zip(stream.shape.columns, data, strict=True)
        ]
        default_meta = d.json_literal(orjson.dumps({"changes": [], "sync_id": self.sync_id}).decode())
        meta = f"COALESCE(CAST(s._dy_meta AS {d.meta_type}), {default_meta})"
        select = ", ".join(
            [
                d.uuid_expr("s._dy_seq"),
                d.ms_to_timestamp("s._dy_emitted_at"),
                meta,
                str(int(stream.config.generation_id)),
                *values,
            ]
        )
        columns = ", ".join([d.quote(c) for c in AIRBYTE_COLUMNS[:2]] + [d.quote(META), d.quote(GENERATION), *data])
        insert = f"INSERT INTO {target} ({columns}) SELECT {select} FROM {stage} s WHERE s._dy_seq < {int(bound)}"
        if stream.config.sync_mode == "append_dedup":
            self._dedup(stream, stage, target, bound, insert)
        else:
            self._run(insert)
        self._clear_staged(stream, bound)
        if bound >= stream.seq:
            stream.staged_keys = set()

    def _cdc_deleted_column(self, stream: _Stream) -> str | None:
        if not self.options.hard_delete_cdc:
            return None
        return next((c.name for c in stream.shape.columns if c.field == CDC_DELETED_AT), None)

    def _dedup(self, stream: _Stream, stage: str, target: str, bound: int, insert: str) -> None:
        """Keep one staged row per key (newest cursor, then latest received) and let it replace older rows.

        Whether any staged key is already in the table is asked first, inside the commit: when none is (a first
        sync, new keys), the rows go in with a plain insert, skipping a delete and a probe per row (a third of a
        merge's time)."""
        d = self.dialect
        keys = [d.quote(k) for k in self._key_columns(stream)]
        names = {c.field: c.name for c in stream.shape.columns}
        cursor = names.get(stream.config.cursor_field[0]) if stream.config.cursor_field else None
        order = (f"{d.quote(cursor)} DESC NULLS LAST, " if cursor else "") + "_dy_seq DESC"
        partition = ", ".join(keys)
        below = f"s._dy_seq < {int(bound)}"
        if stream.staged_keys is None:  # else every staged key is distinct: the window would drop nothing
            self._run(
                f"DELETE FROM {stage} WHERE _dy_seq IN (SELECT _dy_seq FROM (SELECT _dy_seq, ROW_NUMBER() OVER "
                f"(PARTITION BY {partition} ORDER BY {order}) AS rn FROM {stage} WHERE _dy_seq < {int(bound)}) "
                "ranked WHERE rn > 1)"
            )
        match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        deleted = self._cdc_deleted_column(stream)
        fresh = insert + (f" AND s.{d.quote(deleted)} IS NULL" if deleted else "")
        overlapping = [fresh + f" AND NOT EXISTS (SELECT 1 FROM {target} t WHERE {match})"]
        if self.options.unique_conflict_method != "ignore":  # else rows already in the table win
            newer = ""
            if cursor:
                c = d.quote(cursor)
                newer = f" AND (t.{c} IS NULL OR (s.{c} IS NOT NULL AND s.{c} >= t.{c}))"
            overlapping.insert(
                0, f"DELETE FROM {target} AS t WHERE EXISTS (SELECT 1 FROM {stage} s WHERE {match} AND {below}{newer})"
            )
        if stream.index_deferred:
            staged, loaded = stream.staged_keys, stream.loaded_keys
            if (
                staged is not None
                and loaded is not None
                and loaded.isdisjoint(staged)
                and sum(len(s.loaded_keys or ()) for s in self.streams.values()) + len(staged) <= MAX_TRACKED_KEYS
            ):
                loaded |= staged  # may include held rows' keys: a later merge then only takes the safe way
                self._run(fresh)
                return
            # a key comes back, or the keys are no longer known: the table gets its index before it is probed
            self._build_deferred_index(stream)
        check = f"SELECT EXISTS (SELECT 1 FROM {stage} s JOIN {target} t ON {match} WHERE {below})"
        self._run_step(partial(self._merge_keys, check, overlapping, fresh))

    def _build_deferred_index(self, stream: _Stream) -> None:
        """Build the key index of a table this sync created: once, sorting the rows it holds, which is far
        cheaper than updating it row by row while they were loaded."""
        if stream.index_deferred:
            self._index_keys(stream, stream.target_name())
            stream.index_deferred = False
            stream.loaded_keys = None

    def _merge_keys(self, check: str, overlapping: list[str], fresh: str) -> None:
        (overlap,) = self.client.query(check)[0]
        for sql in overlapping if overlap else [fresh]:
            self.client.execute(sql)

    def _record_states(self, states: list[dict[str, Any]]) -> None:
        entries = []
        for message in states:  # every received state is committed once, in received order
            digest = state_hash(message.get("state") or {})
            self._recorded[digest] += 1
            entries.append(f"{digest}#{self._recorded[digest]}")
        self._record_ledger(entries)

    def _record_ledger(self, entries: list[str]) -> None:
        if self.sync_id is None or not entries:
            return
        d = self.dialect
        table = d.table(self._ident(self.options.default_schema), LEDGER_TABLE)
        now = f"CAST(CURRENT_TIMESTAMP AS {d.text_type})"
        values = ", ".join(f"({int(self.sync_id)}, '{entry}', {now})" for entry in entries)
        self._run(f"INSERT INTO {table} (sync_id, state_hash, committed_at) VALUES {values}")

    def is_committed(self, state: Mapping[str, Any]) -> bool:
        """Only earlier attempts count, copy for copy: the n-th copy of a state this attempt receives matches the
        n-th copy an earlier attempt committed. Called for each state of the replayed prefix, in order."""
        if not self.committed_states:
            return False
        digest = state_hash(state)
        self._checked[digest] += 1
        return f"{digest}#{self._checked[digest]}" in self.committed_states

    def discard_staged(self, streams: Collection[StreamKey] | None = None) -> Job:
        self.pending.drop(streams)
        with self._planning() as plan:
            for key, stream in self.streams.items():
                if stream.staged and (streams is None or key in streams):
                    self._clear_staged(stream, stream.seq)
                    stream.merged = stream.seq
                    stream.staged_keys = set()
        return partial(self._execute, plan)

    # -- finish ---------------------------------------------------------------------------------------------
    def finish(self) -> Job:
        d = self.dialect
        with self._planning() as plan:
            for stream in self.streams.values():
                self._build_deferred_index(stream)
                final = self._q(stream, stream.final_name)
                if stream.truncates:
                    self._run(d.drop_table(final))
                    self._run(d.rename_table(self._q(stream, stream.shadow_name), stream.final_name))
                    if stream.key_index:  # the old table's index went with it: the name is free again
                        index = self._ident(f"{stream.final_name}_pk_idx")
                        self._run(d.rename_index(stream.schema, stream.key_index, index))
                        stream.key_index = index
                elif stream.config.minimum_generation_id > 0:
                    self._run(
                        f"DELETE FROM {final} WHERE {d.quote(GENERATION)} < {int(stream.config.minimum_generation_id)}"
                        f" OR {d.quote(GENERATION)} IS NULL"
                    )
                self._run(d.drop_table(stream.stage_table))
            self._record_ledger([finish_marker(s.config) for s in self.streams.values()])
            self._prune_ledger()
        for stream in self.streams.values():
            stream.truncates = False
        return partial(self._load_then_commit, self.pending.take(), plan)

    def _prune_ledger(self) -> None:
        """Forget states of earlier syncs once they are a week old: only a retried attempt of a sync reads its
        entries, and the platform retries within hours. The cutoff is compared as text, which every engine's
        `CURRENT_TIMESTAMP` (UTC here) renders as ISO 'YYYY-MM-DD HH:MM:SS...'."""
        if self.sync_id is None:
            return
        table = self.dialect.table(self._ident(self.options.default_schema), LEDGER_TABLE)
        cutoff = (datetime.now(timezone.utc) - LEDGER_RETENTION).strftime("%Y-%m-%d %H:%M:%S")
        self._run(f"DELETE FROM {table} WHERE sync_id < {int(self.sync_id)} AND committed_at < '{cutoff}'")

    def close(self) -> None:
        self.client.close()
