"""Fixtures for the dashboard tests: one demo store per session, a private copy per test, AppTest helpers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from . import demo_db

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "app.py"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> demo_db.Demo:
    """Suites → replay checkpoints → Runner → DuckDB, plus champion/decision rows and two accounts. Built once."""
    return demo_db.build(tmp_path_factory.mktemp("demo"))


def write_config(path: Path, **dashboard: object) -> Path:
    lines = ["[dashboard]"] + [f"{k} = {_toml(v)}" for k, v in dashboard.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


@pytest.fixture
def db(demo: demo_db.Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo store (tests write to it), named by EVALHARNESS_DB like the CLI does."""
    copy = tmp_path / "results.duckdb"
    shutil.copyfile(demo.db, copy)
    wal = demo.db.with_name(demo.db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    monkeypatch.setenv("EVALHARNESS_DB", str(copy))
    config = write_config(tmp_path / "evalharness.toml", max_failed_attempts=3, lockout_seconds=60.0,
                          corrections_suite_dir=str(tmp_path / "published"), write_timeout_seconds=20.0)
    monkeypatch.setenv("EVALHARNESS_CONFIG", str(config))
    return copy


@pytest.fixture(params=("duckdb", "postgresql"))
def demo_store(request: pytest.FixtureRequest, db: Path, monkeypatch: pytest.MonkeyPatch):
    """The private demo store on each engine: the file itself, or a copy of it in a PostgreSQL schema of its own
    (made with `store copy`, so every dashboard query is also checked against PostgreSQL)."""
    from evalharness.store import Store
    from evalharness.store.maintenance import copy_store

    if request.param == "duckdb":
        return Store(db)
    from evalharness.testing.postgres import drop_schema, new_schema

    base = request.getfixturevalue("pg_base")
    schema, url = new_schema(base)
    request.addfinalizer(lambda: drop_schema(base, schema))
    copy_store(Store(db), Store(url))
    monkeypatch.setenv("EVALHARNESS_DB", url)
    return Store(url)


@pytest.fixture
def config_file(db: Path) -> Path:
    return db.parent / "evalharness.toml"


@pytest.fixture
def app(db: Path) -> Callable[[], object]:
    """A fresh AppTest of dashboards/app.py with empty caches, as a new browser session on a running server."""
    return _make_app()


@pytest.fixture
def fresh_app(db: Path) -> Callable[[], object]:
    """The same: there is no pages/ folder, so a fresh server has no first-request mode of its own."""
    return _make_app()


def _make_app() -> Callable[[], object]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()

    def make() -> AppTest:
        return AppTest.from_file(str(APP), default_timeout=60)

    return make


def goto(at, name: str):
    """Ask for the page at URL /name on the next run, as a browser opening that address does.

    Pages are functions registered by app.py (views.PAGES), so AppTest.switch_page, which takes a file, does not
    apply; a page's hash is Streamlit's hash of its URL path (st.Page._script_hash).
    """
    from streamlit.util import calc_hash

    at._page_hash = calc_hash(name)
    return at


def sign_in(at, name: str, password: str):
    """Fill the sign-in form and press Sign in, as a person would (the form is in the sidebar, or in the page
    itself on Review and when viewing needs sign-in)."""
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def texts(at) -> str:
    """Everything a person would read on the page (markdown, headings, captions, alerts, metrics)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts).replace("\\", "").replace("**", "")


_MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error",
                   "expander")


def markdown_bodies(at) -> list[str]:
    """The Markdown source of every element Streamlit renders as Markdown (labels of expanders included)."""
    bodies = []
    for kind in _MARKDOWN_KINDS:
        for element in getattr(at, kind):
            value = getattr(element, "label", None) if kind == "expander" else element.value
            if isinstance(value, str):
                bodies.append(value)
    return bodies


def links_and_images(markdown: str) -> list[str]:
    """What a browser would fetch or offer to follow in this Markdown: image and link tokens (CommonMark, as
    markdown-it parses it) and bare URLs, which GitHub-flavoured Markdown turns into links."""
    import re

    from markdown_it import MarkdownIt

    found = [child.type for token in MarkdownIt("commonmark").parse(markdown) for child in (token.children or [])
             if child.type in ("image", "link_open")]
    found += re.findall(r"(?i)\b(?:https?://|www\.)\S+", markdown)
    return found
