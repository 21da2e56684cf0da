"""Moving and keeping a store: copy between engines, Parquet backup and restore, and integrity checks.

A table's checksum is the sum (mod 2²⁵⁶) of a SHA-256 per row over a canonical text of its values, so it does
not depend on row order or engine: the same rows give the same checksum in a DuckDB file and in PostgreSQL.
A copy or restore writes everything in one transaction and checks row counts and checksums before it commits.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import InputError, StoreError
from . import claims
from .connection import Store
from .engines import Con
from .migrations import _migration_files

BATCH = 5000
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TableSummary:
    table: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class CopyReport:
    source: str
    destination: str
    tables: tuple[TableSummary, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class Problem:
    kind: str  # orphan | stuck_run | schema
    table: str
    count: int
    detail: str
    ids: tuple[str, ...] = ()


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, (date, timedelta)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays from an Arrow list column
        return _canonical(value.tolist())
    return value


def row_hash(row: Sequence[Any]) -> int:
    text = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def tables(con: Con) -> list[str]:
    """The store's tables (the migration record excluded), in a stable order."""
    schema = "current_schema()" if con.kind == "postgresql" else "'main'"
    return [
        r[0]
        for r in con.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            + schema
            + " AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name"
        )
    ]


def columns(con: Con, table: str) -> list[str]:
    schema = "current_schema()" if con.kind == "postgresql" else "'main'"
    return [
        r[0]
        for r in con.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            + schema
            + " AND table_name = ? ORDER BY ordinal_position",
            [table],
        )
    ]


def _batches(con: Con, table: str, names: Sequence[str]) -> Iterator[list[tuple]]:
    cur: Any = con.execute(f"SELECT {', '.join(names)} FROM {table}")
    while True:
        rows = cur.fetchmany(BATCH)
        if not rows:
            return
        yield rows


def summarize(con: Con, table: str, names: Sequence[str] | None = None) -> TableSummary:
    names = list(names) if names is not None else sorted(columns(con, table))
    total, count = 0, 0
    for rows in _batches(con, table, names):
        for row in rows:
            total = (total + row_hash(row)) % (1 << 256)
        count += len(rows)
    return TableSummary(table, count, f"{total:064x}")


def summaries(store: Store) -> list[TableSummary]:
    """Row count and checksum of every table."""
    with store.connect() as con:
        return [summarize(con, t) for t in tables(con)]


def schema_version(con: Con) -> int:
    row = con.one("SELECT max(version) FROM schema_migrations")
    return int(row[0] or 0) if row else 0


def _known_version() -> int:
    return max(n for n, _, _ in _migration_files())


def _empty_destination(con: Con, where: str) -> None:
    busy = [t for t in tables(con) if con.one(f"SELECT count(*) FROM {t}")[0]]  # type: ignore[index]
    if busy:
        raise InputError(
            f"the destination {where} already holds data (tables {', '.join(busy[:5])}"
            + (" …" if len(busy) > 5 else "")
            + ")",
            field="destination",
            hint="copy into a new, empty store (a new file, or a new database/schema)",
        )


def _verify(con: Con, expected: Sequence[TableSummary], where: str) -> None:
    for want in expected:
        got = summarize(con, want.table)
        if (got.rows, got.checksum) != (want.rows, want.checksum):
            raise StoreError(
                f"{where}: table {want.table} has {got.rows} rows (checksum {got.checksum[:12]}) after "
                f"the copy, expected {want.rows} (checksum {want.checksum[:12]}); nothing was written"
            )


def copy_store(source: Store, destination: Store) -> CopyReport:
    """Copy every row of `source` into the empty `destination` (either engine), verified before it commits."""
    if source.location == destination.location or (
        source.path is not None and destination.path is not None and source.path.resolve() == destination.path.resolve()
    ):
        raise InputError("source and destination are the same store", field="destination")
    if not source.exists():
        raise InputError(f"no store at {source.display}", field="source")
    expected: list[TableSummary] = []
    with source.connect() as src, destination.transaction() as dst:
        if schema_version(src) > _known_version():
            raise InputError(
                f"{source.display} was written by a newer evalharness (schema {schema_version(src)})",
                hint="upgrade evalharness before copying it",
            )
        _empty_destination(dst, destination.display)
        wanted = tables(dst)
        for table in tables(src):
            if table not in wanted:
                raise InputError(f"table {table} of {source.display} is unknown to this version", field="source")
            names = sorted(columns(src, table))
            total, count = 0, 0
            for rows in _batches(src, table, names):
                for row in rows:
                    total = (total + row_hash(row)) % (1 << 256)
                count += len(rows)
                dst.insert(table, [dict(zip(names, r)) for r in rows], columns=names)
            expected.append(TableSummary(table, count, f"{total:064x}"))
        _verify(dst, expected, destination.display)
    return CopyReport(source.display, destination.display, tuple(expected))


# -- Parquet backup ----------------------------------------------------------------------------------------


def backup(store: Store, folder: str | Path) -> CopyReport:
    """One Parquet file per table plus a manifest (schema version, row counts, checksums) in a new folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty", field="out", hint="back up into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    made: list[TableSummary] = []
    with store.connect() as con:
        version = schema_version(con)
        for table in tables(con):
            names = sorted(columns(con, table))
            rows = [r for batch in _batches(con, table, names) for r in batch]
            data = (
                pa.Table.from_pylist([dict(zip(names, r)) for r in rows])
                if rows
                else pa.table({n: pa.array([], pa.null()) for n in names})
            )
            pq.write_table(data, out / f"{table}.parquet")
            total = 0
            for row in rows:
                total = (total + row_hash(row)) % (1 << 256)
            made.append(TableSummary(table, len(rows), f"{total:064x}"))
    manifest = {
        "format": "evalharness-backup/1",
        "schema_version": version,
        "source_engine": store.kind,
        "tables": {t.table: {"rows": t.rows, "checksum": t.checksum} for t in made},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return CopyReport(store.display, str(out), tuple(made))


def restore(folder: str | Path, destination: Store) -> CopyReport:
    """Load a backup folder into an empty store, verified against the manifest before it commits."""
    import pyarrow.parquet as pq

    src = Path(folder)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a backup folder: {exc}", path=src / MANIFEST) from None
    if manifest.get("schema_version", 0) > _known_version():
        raise InputError("the backup was made by a newer evalharness", path=src / MANIFEST, field="schema_version")
    expected = [TableSummary(t, int(v["rows"]), v["checksum"]) for t, v in sorted(manifest["tables"].items())]
    with destination.transaction() as dst:
        _empty_destination(dst, destination.display)
        for want in expected:
            data = pq.read_table(src / f"{want.table}.parquet")
            if data.num_rows:
                rows = data.to_pylist()
                for start in range(0, len(rows), BATCH):
                    dst.insert(want.table, rows[start : start + BATCH], columns=data.column_names)
        _verify(dst, expected, destination.display)
    return CopyReport(str(src), destination.display, tuple(expected))


# -- integrity ---------------------------------------------------------------------------------------------

#: (table, what is checked, SQL counting the rows that break it, SQL listing a few of their ids)
_ORPHANS = [
    (
        "run_items",
        "items of a run that is not in `runs`",
        "FROM run_items x WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = x.run_id)",
        "x.run_id",
    ),
    (
        "item_scores",
        "scores of a run that is not in `runs`",
        "FROM item_scores x WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = x.run_id)",
        "x.run_id",
    ),
    (
        "run_metrics",
        "metrics of a run that is not in `runs`",
        "FROM run_metrics x WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = x.run_id)",
        "x.run_id",
    ),
    (
        "judge_run_items",
        "verdict summaries of a run that is not in `runs`",
        "FROM judge_run_items x WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = x.run_id)",
        "x.run_id",
    ),
    (
        "runs",
        "runs of a suite version that is not in `suites`",
        "FROM runs x WHERE NOT EXISTS (SELECT 1 FROM suites s WHERE s.suite_hash = x.suite_hash)",
        "x.run_id",
    ),
    (
        "runs",
        "runs of a checkpoint that is not in `checkpoints`",
        "FROM runs x WHERE NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.identity = x.checkpoint_identity)",
        "x.run_id",
    ),
    (
        "suite_items",
        "items of a suite version that is not in `suites`",
        "FROM suite_items x WHERE NOT EXISTS (SELECT 1 FROM suites s WHERE s.suite_hash = x.suite_hash)",
        "x.suite_hash",
    ),
    (
        "run_items",
        "answered items whose cached generation is missing",
        "FROM run_items x WHERE x.status = 'ok' AND NOT EXISTS (SELECT 1 FROM generations g "
        "WHERE g.cache_key = x.cache_key)",
        "x.run_id",
    ),
    (
        "champions",
        "champions decided by a decision that is not in `decisions`",
        "FROM champions x WHERE x.decision_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM decisions d "
        "WHERE d.decision_id = x.decision_id)",
        "x.checkpoint_name",
    ),
]


def stuck_runs(store: Store, *, idle: timedelta) -> list[tuple[str, str, str, Any, Any]]:
    """Runs still `running` with no item written for `idle` and no live process holding their work:
    (run_id, checkpoint, suite, started, last activity)."""
    with store.connect() as con:
        rows = con.rows(
            "SELECT r.run_id, r.checkpoint_name, r.suite_name, r.started_at, "
            "coalesce((SELECT max(ri.updated_at) FROM run_items ri WHERE ri.run_id = r.run_id), r.started_at) "
            "AS last_seen, current_timestamp::TIMESTAMP FROM runs r WHERE r.status = 'running' "
            "ORDER BY r.started_at, r.run_id"
        )
    working = {c.run_id for c in claims.live_claims(store)}
    return [
        (run_id, ck, suite, started, last)
        for run_id, ck, suite, started, last, now in rows
        if now - last >= idle and run_id not in working
    ]


def close_runs(store: Store, run_ids: Sequence[str], *, idle: timedelta) -> int:
    """Mark abandoned runs `abandoned` (only those still running and still idle: a run that woke up is left)."""
    if not run_ids:
        return 0
    with store.transaction() as con:
        now = con.one("SELECT current_timestamp::TIMESTAMP")[0]  # type: ignore[index]
        rows = con.rows(
            "UPDATE runs SET status = 'abandoned', finished_at = current_timestamp WHERE run_id = ANY(?) "
            "AND status = 'running' AND coalesce((SELECT max(ri.updated_at) FROM run_items ri "
            "WHERE ri.run_id = runs.run_id), runs.started_at) <= ? RETURNING run_id",
            [list(run_ids), now - idle],
        )
    return len(rows)


def check(store: Store, *, idle: timedelta) -> list[Problem]:
    """Everything wrong with a store: schema, orphaned rows, runs stuck in `running`."""
    problems: list[Problem] = []
    with store.connect() as con:
        version = schema_version(con)
        if version != _known_version():
            problems.append(
                Problem(
                    "schema",
                    "schema_migrations",
                    1,
                    f"schema version {version}, this evalharness knows {_known_version()}",
                )
            )
        for table, what, where, key in _ORPHANS:
            count = int(con.one(f"SELECT count(*) {where}")[0])  # type: ignore[index]
            if count:
                ids = tuple(str(r[0]) for r in con.rows(f"SELECT DISTINCT {key} {where} ORDER BY 1 LIMIT 5"))
                problems.append(Problem("orphan", table, count, what, ids))
    stuck = stuck_runs(store, idle=idle)
    if stuck:
        problems.append(
            Problem(
                "stuck_run",
                "runs",
                len(stuck),
                f"runs still `running` with nothing written for {idle}",
                tuple(r[0] for r in stuck),
            )
        )
    return problems
