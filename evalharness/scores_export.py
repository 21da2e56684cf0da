"""Every item score of some runs, with the answers, written as CSV or Parquet (`evalharness runs export`).

An item a metric did not score has no statistics and no score: both cells are empty (null in Parquet),
never a number. In CSV the statistics are a JSON list (`[3.0, 5.0, …]`), readable by any tool; in Parquet
they are a list of doubles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError
from .store import Store, records

FORMATS = (".csv", ".parquet")


def _stats(value: Any) -> list[float] | None:
    """A stored statistics row as plain floats; None for a missing one (DuckDB hands back None or NA)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return [float(v) for v in value]
    except TypeError:  # pandas.NA and other missing markers are not iterable
        return None


def export_scores(store: Store, run_ids: Sequence[str], out: Path) -> int:
    """Write the runs' item scores to `out` (atomically: a reader never sees half a file); return the rows."""
    if out.suffix not in FORMATS:
        raise InputError("unsupported export format", path=out, hint="use a .csv or .parquet file name")
    missing = [r for r in run_ids if records.get_run(store, r) is None]
    if missing:
        raise InputError(f"no run(s) {', '.join(missing)}", field="run_ids", hint="see `evalharness runs list`")
    frame = records.item_scores_frame(store, run_ids)
    stats = [_stats(v) for v in frame["stats"]]
    frame["stats"] = [None if s is None else json.dumps(s) for s in stats] if out.suffix == ".csv" else stats
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if out.suffix == ".csv":
        from .csvsafe import neutralise_frame

        # answers opened in a spreadsheet stay text; RFC 4180 line ends, so a CR inside an answer is quoted too
        neutralise_frame(frame).to_csv(tmp, index=False, lineterminator="\r\n")
    else:
        frame.to_parquet(tmp, index=False)
    tmp.replace(out)
    return len(frame)
