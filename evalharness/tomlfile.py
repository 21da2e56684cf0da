"""Reading the project's TOML files (suite.toml, manifests, the config) with errors that name the file
and, for a value that fails validation, the line it is on."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError
from .paths import file_problem

_HEADER = re.compile(r"^\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(
    r"^(?P<key>(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)"
    r"\s*="
)
_PART = re.compile(r"[A-Za-z0-9_-]+|\"((?:[^\"\\]|\\.)*)\"|'([^']*)'")


def read_toml(
    path: str | Path, *, what: str, hint: str | None = None, error: type[InputError] = InputError
) -> dict[str, Any]:
    """Parse `path`; a missing file or bad TOML raises `error` naming the file (and what it should be)."""
    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise error(f"{what} {problem}", path=path, hint=hint)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 ({exc.reason})", path=path, hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"invalid TOML ({exc})", path=path, hint=hint) from None


def _key(text: str) -> tuple[str, ...]:
    return tuple(
        m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(0)
        for m in _PART.finditer(text)
    )


def key_line(text: str, location: Sequence[str | int]) -> int | None:
    """1-based line where the TOML key at `location` (e.g. `("run", "batch_size")`, as pydantic reports an
    error's location) is written; for a key inside an inline table or an array, the line of the nearest
    enclosing key that is written on its own line. None when no line holds it (e.g. a missing key).

    tomllib keeps no positions, so this scans the text: table headers and `key =` lines (bare, quoted and
    dotted keys). It is for pointing a person at the right line, not for parsing.
    """
    wanted = tuple(str(p) for p in location)
    table: tuple[str, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)
    first_inside: int | None = None
    in_multiline = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            table = _key(header.group("key"))
            key = table
        else:
            assign = _ASSIGN.match(line)
            if not assign:
                continue
            key = table + _key(assign.group("key"))
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
        if key and wanted[: len(key)] == key and (best is None or len(key) > best[0]):
            best = (len(key), number)
        elif key and key[: len(wanted)] == wanted and first_inside is None:
            first_inside = number  # a whole section is at fault: its first line inside
    return best[1] if best else first_inside


def line_of(path: str | Path, location: Sequence[str | int]) -> int | None:
    """`key_line` for a file; None when the file cannot be read again."""
    try:
        return key_line(Path(path).read_text(encoding="utf-8-sig"), location)
    except (OSError, UnicodeDecodeError):
        return None
