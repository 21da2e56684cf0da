"""What every command shares: consoles, config loading, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperOption

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Store

# Not a terminal (a CI log, a pipe): rich would wrap tables at 80 columns; logs have room for wider ones.
# Markup and emoji codes are off: what is printed is mostly users' and data's text (names, corrections,
# reasons, signatures such as `judge:gemini:…`), and Rich would eat `[redacted]` or turn `:gemini:` into ♊.
# Styling is given explicitly, as `Text` or a `style=` argument (see `styled`).
console = Console(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160, markup=False, emoji=False)


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """A yes/no flag takes no value, so its help line shows no type; typer would print `<bool>` on every flag
    (and on --help). Options that take a value keep typer's description (`<path>`, `<int>`, …)."""
    return None if self.is_bool_flag else _typer_display_type(self, ctx)


_typer_display_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and (text, style) pairs; nothing inside the strings is read as markup."""
    return Text.assemble(*parts)


def load(config_path: Path | None, db: str | Path | None) -> tuple[Config, Store]:
    """Config from --config (or ./evalharness.toml), store from --db, EVALHARNESS_DB or the config."""
    from ..config import load_config
    from ..errors import InputError
    from ..paths import NOT_FOUND, file_problem
    from ..store import Store
    from ..store.engines import is_server_url

    config = load_config(config_path)
    location = db if db is not None else config.store_url()
    if is_server_url(str(location)):
        return config, Store(location)
    problem = file_problem(Path(location))
    if problem not in (None, NOT_FOUND):  # absent is fine: the first write creates it
        raise InputError(
            f"the store {problem}",
            path=Path(location),
            field="--db" if db is not None else "store.url",
            hint="point --db, EVALHARNESS_DB or [store] url at a DuckDB file or a postgresql:// URL",
        )
    return config, Store(location)


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colour codes), for scripts."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


#: `--json` on every command that prints something: plain JSON on stdout instead of tables and colour
JsonOpt = Annotated[bool, typer.Option("--json", help="print plain JSON on stdout (for scripts)")]
#: a run id argument, as `runs list` shows them
RunIdArg = Annotated[str, typer.Argument(help="run id, e.g. run-0123abcd4567 (see `evalharness runs list`)")]
