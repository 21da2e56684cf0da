"""Reading JSON Lines files exactly as the seed project publishes them.

The published files have CRLF line endings, may start with a UTF-8 BOM, and are NFC. We accept all of
that and report problems with the 1-based line number a text editor shows.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .paths import file_problem


def nfc(text: str) -> str:
    """NFC-normalise. The same Stoney text in NFD scores ~63 chrF against its NFC form, so every
    string is normalised once, on load, before anything compares it."""
    return unicodedata.normalize("NFC", text)


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line_number, object) for every non-blank line.

    Raises InputError naming the file and line for unreadable bytes, malformed JSON, or a line that is
    not a JSON object; raises for an empty file, since an empty suite is always a mistake.
    """
    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise InputError(f"file {problem}", path=path, hint="check the path")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 ({exc.reason})", path=path, line=line, hint="save the file as UTF-8"
        ) from None
    seen_any = False
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"malformed JSON ({exc.msg} at column {exc.colno})",
                path=path,
                line=number,
                hint="each line must be one complete JSON object",
            ) from None
        except RecursionError:
            # Python's parser recurses once per nesting level; a line like [[[[…]]]] 100,000 deep would
            # otherwise surface as a RecursionError traceback instead of a message about the file.
            raise InputError(
                "JSON nested too deeply to read",
                path=path,
                line=number,
                hint="an item is a flat object of strings; this line is not one",
            ) from None
        if not isinstance(obj, dict):
            raise InputError(f"expected a JSON object, got {type(obj).__name__}", path=path, line=number)
        seen_any = True
        yield number, obj
    if not seen_any:
        raise InputError("file is empty (no JSON lines)", path=path, hint="an empty suite cannot be evaluated")


@dataclass(frozen=True)
class RawRecord:
    """One non-blank line of a JSONL file: its object, or why it is not one (`error`)."""

    line: int
    raw: str
    obj: dict[str, Any] | None
    error: str | None = None


def scan_jsonl(path: str | Path) -> Iterator[RawRecord]:
    """Every non-blank line, good or bad — for importers that report *all* problems of a file.

    Unlike `read_jsonl` this never stops at a bad line: undecodable bytes, malformed JSON and non-objects
    come back as records with an `error`, so the caller can list them all (or reject them one by one).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path")
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw_bytes in enumerate(data.split(b"\n"), start=1):
        raw_bytes = raw_bytes.rstrip(b"\r")
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield RawRecord(
                number,
                raw_bytes.decode("utf-8", "replace"),
                None,
                f"not valid UTF-8 ({exc.reason}); save the file as UTF-8",
            )
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield RawRecord(number, raw, None, f"malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield RawRecord(number, raw, None, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield RawRecord(number, raw, obj)


def require_str(obj: dict[str, Any], key: str, *, path: Path | str, line: int, allow_empty: bool = False) -> str:
    """Return obj[key] as NFC text, or raise naming the file, line and field."""
    if key not in obj:
        raise InputError("missing required field", path=path, line=line, field=key)
    value = obj[key]
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}", path=path, line=line, field=key)
    if not allow_empty and not value.strip():
        raise InputError("must not be empty", path=path, line=line, field=key)
    return nfc(value)


def optional_str(obj: dict[str, Any], key: str, *, path: Path | str, line: int) -> str | None:
    if obj.get(key) is None:
        return None
    return require_str(obj, key, path=path, line=line, allow_empty=True)


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write atomically (temp file + rename) so that a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
