"""Reading the project's TOML files (suite.toml, manifests, the config) with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import InputError


def read_toml(
    path: str | Path, *, what: str, hint: str | None = None, error: type[InputError] = InputError
) -> dict[str, Any]:
    """Parse `path`; a missing file or bad TOML raises `error` naming the file (and what it should be)."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} not found", path=path, hint=hint)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 ({exc.reason})", path=path, hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"invalid TOML ({exc})", path=path, hint=hint) from None
