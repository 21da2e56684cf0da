"""Conversation logs of the deployed app → a reviewable sample of live answers.

Two shapes are read, one record a line (JSONL) or a row (CSV):

- OpenAI chat JSONL, `{"messages": [system?, user, assistant, user, assistant, …]}` — each user turn with the
  assistant turn after it is one answer; `time` and `consent` may sit at the top level or under `metadata`;
- a simple record, `{"time", "question", "answer", "consent"}` (JSONL, or CSV with that header).

Every line is validated before anything is written (a bad one stops the import naming file, line and
field). Then, in this order: records without consent are left out unless the monitor's governance allows
reviewing every conversation; duplicates (same question and answer, NFC, case and spacing folded — within
the file and against earlier imports) are left out; each day keeps a seeded sample of at most `per_day`
answers; the import keeps a seeded sample of at most `max_items`. Each record left out is counted under
its reason, so the report accounts for every line.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..jsonl import nfc, read_jsonl

SIMPLE_FIELDS = ("time", "question", "answer", "consent")
CHAT_KEYS = {"messages", "time", "created", "consent", "metadata", "id", "model", "user"}
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class LogRecord:
    line: int
    logged_at: datetime | None  # UTC, naive
    question: str
    answer: str
    consent: bool  # False when the record says nothing
    content_hash: str = ""

    @property
    def day(self) -> date | None:
        return self.logged_at.date() if self.logged_at else None


@dataclass(frozen=True)
class ImportPlan:
    """What an import keeps, and how many records each rule left out."""

    selected: tuple[LogRecord, ...]
    read: int
    left_out: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{self.read} answer(s) read", f"{len(self.selected)} imported"]
        parts += [f"{n} {why}" for why, n in self.left_out.items() if n]
        return ", ".join(parts)


def content_hash(question: str, answer: str) -> str:
    def fold(text: str) -> str:
        return " ".join(nfc(text).casefold().split())

    return hashlib.sha256(f"{fold(question)}\x00{fold(answer)}".encode()).hexdigest()


def _time(value: Any, *, path: Path, line: int, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError("expected a time (ISO 8601 or Unix seconds), got a boolean", path=path, line=line, field=name)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC).replace(tzinfo=None)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.replace(".", "", 1).isdigit():
                return datetime.fromtimestamp(float(text), tz=UTC).replace(tzinfo=None)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"unreadable time {value!r}",
                path=path,
                line=line,
                field=name,
                hint="use ISO 8601 (2026-11-30T14:05:00Z) or Unix seconds",
            ) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    raise InputError(f"expected a time, got {type(value).__name__}", path=path, line=line, field=name)


def _consent(value: Any, *, path: Path, line: int, name: str, required: bool) -> bool:
    if value is None or value == "":
        if required:
            raise InputError("missing consent (true or false)", path=path, line=line, field=name)
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"consent must be true or false, got {value!r}", path=path, line=line, field=name)


def _text(obj: dict[str, Any], key: str, *, path: Path, line: int, where: str | None = None) -> str:
    name = where or key
    if key not in obj or obj[key] is None:
        raise InputError("missing required field", path=path, line=line, field=name)
    value = obj[key]
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}", path=path, line=line, field=name)
    value = nfc(value).strip()
    if not value:
        raise InputError("must not be empty", path=path, line=line, field=name)
    return value


def _simple(obj: dict[str, Any], *, path: Path, line: int) -> list[LogRecord]:
    unknown = sorted(set(obj) - set(SIMPLE_FIELDS))
    if unknown:
        raise InputError(
            f"unknown field(s) {unknown}",
            path=path,
            line=line,
            field=unknown[0],
            hint=f"a simple record has {', '.join(SIMPLE_FIELDS)}; a chat record has 'messages'",
        )
    if "time" not in obj:
        raise InputError("missing required field", path=path, line=line, field="time")
    return [
        LogRecord(
            line,
            _time(obj["time"], path=path, line=line, name="time"),
            _text(obj, "question", path=path, line=line),
            _text(obj, "answer", path=path, line=line),
            _consent(obj.get("consent"), path=path, line=line, name="consent", required=True),
        )
    ]


def _chat(obj: dict[str, Any], *, path: Path, line: int) -> list[LogRecord]:
    unknown = sorted(set(obj) - CHAT_KEYS)
    if unknown:
        raise InputError(
            f"unknown field(s) {unknown}",
            path=path,
            line=line,
            field=unknown[0],
            hint=f"allowed in a chat record: {', '.join(sorted(CHAT_KEYS))}",
        )
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        raise InputError("expected an object", path=path, line=line, field="metadata")
    when = _time(obj.get("time", obj.get("created", meta.get("time"))), path=path, line=line, name="time")
    consent_value = obj.get("consent", meta.get("consent"))
    consent = _consent(consent_value, path=path, line=line, name="consent", required=False)
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("expected a non-empty list of messages", path=path, line=line, field="messages")
    records: list[LogRecord] = []
    question: str | None = None
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InputError("expected an object with role and content", path=path, line=line, field=where)
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise InputError(
                f"unknown role {role!r}",
                path=path,
                line=line,
                field=f"{where}.role",
                hint="allowed: system, user, assistant",
            )
        content = _text(message, "content", path=path, line=line, where=f"{where}.content")
        if role == "user":
            question = content
        elif role == "assistant":
            if question is None:
                raise InputError("an assistant turn with no user turn before it", path=path, line=line, field=where)
            records.append(LogRecord(line, when, question, content, consent))
            question = None
    if not records:
        raise InputError("no user turn followed by an assistant answer", path=path, line=line, field="messages")
    return records


def _csv_rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason})", path=path, hint="save the file as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [f for f in SIMPLE_FIELDS if f not in header]
    extra = [f for f in header if f not in SIMPLE_FIELDS]
    if missing or extra:
        raise InputError(
            f"the CSV header must be {', '.join(SIMPLE_FIELDS)}", path=path, line=1, field=(missing or extra)[0]
        )
    seen = False
    for row in reader:
        if None in row:
            raise InputError("more cells than header columns", path=path, line=reader.line_num)
        if not any((v or "").strip() for v in row.values()):
            continue
        seen = True
        yield reader.line_num, row
    if not seen:
        raise InputError("file is empty (no rows under the header)", path=path)


def read_log(path: str | Path) -> list[LogRecord]:
    """Every answer in the file, validated; raises InputError (file, line, field) on the first bad one."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path")
    records: list[LogRecord] = []
    if path.suffix.lower() == ".csv":
        for line, row in _csv_rows(path):
            records += _simple(row, path=path, line=line)
    else:
        for line, obj in read_jsonl(path):
            records += _chat(obj, path=path, line=line) if "messages" in obj else _simple(obj, path=path, line=line)
    return [replace(r, content_hash=content_hash(r.question, r.answer)) for r in records]


def plan_import(
    records: list[LogRecord],
    *,
    already: set[str],
    review_without_consent: bool,
    per_day: int,
    max_items: int,
    seed: int,
) -> ImportPlan:
    """Apply consent, de-duplication, the per-day sample and the cap — each record counted once."""
    left = {
        "without consent": 0,
        "duplicates": 0,
        "already imported": 0,
        "over the day's sample": 0,
        "over the import's cap": 0,
    }
    kept: list[LogRecord] = []
    seen: set[str] = set()
    for r in records:
        if not r.consent and not review_without_consent:
            left["without consent"] += 1
        elif r.content_hash in already:
            left["already imported"] += 1
        elif r.content_hash in seen:
            left["duplicates"] += 1
        else:
            seen.add(r.content_hash)
            kept.append(r)
    by_day: dict[date | None, list[LogRecord]] = {}
    for r in kept:
        by_day.setdefault(r.day, []).append(r)
    sampled: list[LogRecord] = []
    for day in sorted(by_day, key=lambda d: (d is None, d or date.min)):
        rows = by_day[day]
        if len(rows) > per_day:
            rng = np.random.default_rng([seed, day.toordinal() if day else 0])
            keep = sorted(rng.choice(len(rows), size=per_day, replace=False).tolist())
            left["over the day's sample"] += len(rows) - per_day
            rows = [rows[i] for i in keep]
        sampled += rows
    if len(sampled) > max_items:
        rng = np.random.default_rng([seed, 1_000_000])
        keep = sorted(rng.choice(len(sampled), size=max_items, replace=False).tolist())
        left["over the import's cap"] += len(sampled) - max_items
        sampled = [sampled[i] for i in keep]
    return ImportPlan(selected=tuple(sampled), read=len(records), left_out=left)
