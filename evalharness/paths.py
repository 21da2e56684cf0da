"""Why a path cannot be used, in words — "not found" only when it is not there.

`Path.is_file()` answers False for a missing file, a folder, a dangling link and a symbolic-link loop
alike; a user told "not found" about a file they can see in `ls` looks in the wrong place.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

NOT_FOUND = "not found"


def _problem(path: Path, want_dir: bool) -> str | None:
    try:
        mode = path.stat().st_mode  # follows symbolic links
    except FileNotFoundError:
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        return NOT_FOUND
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop (it points, directly or through other links, back to itself)"
        return f"cannot be read ({exc.strerror or exc})"
    if want_dir and not stat.S_ISDIR(mode):
        return "is a file, not a folder"
    if not want_dir and stat.S_ISDIR(mode):
        return "is a folder, not a file"
    return None


def file_problem(path: str | Path) -> str | None:
    """None when `path` is a readable file's name; else what is wrong with it (`NOT_FOUND` if absent)."""
    return _problem(Path(path), want_dir=False)


def folder_problem(path: str | Path) -> str | None:
    """None when `path` is a folder; else what is wrong with it (`NOT_FOUND` if absent)."""
    return _problem(Path(path), want_dir=True)
