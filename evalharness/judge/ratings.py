"""Human CAS ratings: read from CSV/JSONL files, stored in the `ratings` table the dashboard also writes.

A rating is one person's 1–5 grade of one answer (item id + the answer's exact text). Files need the
columns/keys `item_id` (or `item`), `candidate` (or `candidate_text`), `rating` (or `cas_rating`) and
`rater`; `suite_hash`, `run_id` and `checkpoint` are optional. Every row is checked before anything is
written (errors name file, line and field), then all rows go in one transaction. A rating's id is a hash
of (suite, item, answer, rater): importing a file again replaces, never duplicates, and a rater who
changes their mind in a later file is counted once, with the new grade.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..jsonl import nfc, read_jsonl
from ..store import Store
from ..store import reviews as store_rows

ALIASES = {"item": "item_id", "candidate_text": "candidate", "cas_rating": "rating", "checkpoint_name": "checkpoint"}
KNOWN = {"item_id", "candidate", "rating", "rater", "suite_hash", "run_id", "checkpoint", "note"}


@dataclass(frozen=True)
class HumanRating:
    item_id: str
    candidate: str
    rating: int
    rater: str
    suite_hash: str | None = None
    run_id: str | None = None
    checkpoint: str | None = None

    @property
    def rating_id(self) -> str:
        blob = json.dumps([self.suite_hash or "", self.item_id, self.candidate, self.rater], ensure_ascii=False)
        return "h-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _parse_rating(value: Any, *, path: Path, line: int) -> int:
    if isinstance(value, bool):
        raise InputError("expected an integer 1–5, got a boolean", path=path, line=line, field="rating")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise InputError(f"expected an integer 1–5, got {value!r}", path=path, line=line, field="rating")
        value = int(text)
    if not isinstance(value, int):
        raise InputError(f"expected an integer 1–5, got {value!r}", path=path, line=line, field="rating")
    if not 1 <= value <= 5:
        raise InputError(f"rating {value} is outside 1–5", path=path, line=line, field="rating")
    return value


def _row(obj: dict[str, Any], *, path: Path, line: int) -> HumanRating:
    data = {ALIASES.get(k.strip(), k.strip()): v for k, v in obj.items() if k is not None}
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise InputError(
            f"unknown field(s) {unknown}",
            path=path,
            line=line,
            field=unknown[0],
            hint=f"allowed: {sorted(KNOWN | set(ALIASES))}",
        )
    for key in ("item_id", "candidate", "rating", "rater"):
        if data.get(key) is None or (isinstance(data[key], str) and key != "candidate" and not data[key].strip()):
            raise InputError("missing required field", path=path, line=line, field=key)
    for key in ("item_id", "candidate", "rater", "suite_hash", "run_id", "checkpoint"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InputError(f"expected a string, got {type(data[key]).__name__}", path=path, line=line, field=key)

    def opt(key: str) -> str | None:
        value = data.get(key)
        return value.strip() or None if isinstance(value, str) else None

    return HumanRating(
        item_id=nfc(data["item_id"].strip()),
        candidate=nfc(data["candidate"]),
        rating=_parse_rating(data["rating"], path=path, line=line),
        rater=data["rater"].strip(),
        suite_hash=opt("suite_hash"),
        run_id=opt("run_id"),
        checkpoint=opt("checkpoint"),
    )


def read_ratings(path: str | Path) -> list[HumanRating]:
    """All ratings in a `.csv` or `.jsonl` file, every row validated (nothing dropped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("ratings file not found", path=path)
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for obj in reader:
                if None in obj:
                    raise InputError("more cells than header columns", path=path, line=reader.line_num)
                rows.append(_row(obj, path=path, line=reader.line_num))
        if not rows:
            raise InputError("no ratings in the file", path=path, hint="the first line must be a header")
        return rows
    if path.suffix.lower() in (".jsonl", ".json"):
        return [_row(obj, path=path, line=line) for line, obj in read_jsonl(path)]
    raise InputError("ratings files must be .csv or .jsonl", path=path)


def import_ratings(store: Store, ratings: list[HumanRating], *, source: str) -> int:
    """Write ratings into `ratings` (replacing earlier imports of the same rating) in one transaction."""
    if not ratings:
        return 0
    latest = {r.rating_id: r for r in ratings}  # a file that rates twice: its last row wins
    rows = list(latest.values())
    store_rows.import_ratings(
        store,
        [
            {
                "rating_id": r.rating_id,
                "run_id": r.run_id,
                "suite_hash": r.suite_hash,
                "item_id": r.item_id,
                "checkpoint_name": r.checkpoint,
                "candidate_text": r.candidate,
                "cas_rating": r.rating,
                "rater": r.rater,
                "source": source,
            }
            for r in rows
        ],
    )
    return len(rows)


def stored_ratings(store: Store) -> list[HumanRating]:
    """Every CAS rating in the store (dashboard or imported), one per rater and answer: the newest."""
    rows = store_rows.cas_ratings(store)
    bad = [r for r in rows if not 1 <= int(r[2]) <= 5]
    if bad:
        raise InputError(
            f"{len(bad)} stored rating(s) outside 1–5 (first: item '{bad[0][0]}' by '{bad[0][3]}')",
            field="ratings.cas_rating",
            hint="fix or delete those rows; CAS ratings are 1–5",
        )
    return [
        HumanRating(item_id=i, candidate=nfc(c), rating=int(r), rater=who, suite_hash=s, run_id=run, checkpoint=ck)
        for i, c, r, who, s, run, ck in rows
    ]
