"""What every command shares: consoles, config loading, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Store

# Not a terminal (a CI log, a pipe): rich would wrap tables at 80 columns; logs have room for wider ones.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def load(config_path: Path | None, db: str | Path | None) -> tuple[Config, Store]:
    """Config from --config (or ./evalharness.toml), store from --db, EVALHARNESS_DB or the config."""
    from ..config import load_config
    from ..store import Store

    config = load_config(config_path)
    return config, Store(db if db is not None else config.store_url())


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colour codes), for scripts."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
