"""What every dashboard page shares: settings, the store, cached reads, sign-in, and text shown safely.

Pages call library functions (`evalharness.community.*`) through the cached readers below, so the DuckDB
file is read at most once per `[dashboard] cache_seconds` for the same question, and never held open:
a run can keep writing while people look. Writes are never cached and always go through the library,
which uses `Store.transaction()` (retried while a run holds the file).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from evalharness.community import accounts, compare, items, overview, reviews
from evalharness.community.accounts import Account
from evalharness.config import Config, load_config
from evalharness.errors import EvalHarnessError, StoreError
from evalharness.monitor.views import MonitorView
from evalharness.monitor.views import monitor_views as views_of_monitors
from evalharness.store import Store

HERE = Path(__file__).resolve().parent


def settings() -> Config:
    """`EVALHARNESS_CONFIG` names the config file (the CLI sets it); else ./evalharness.toml; else defaults."""
    return load_config(os.environ.get("EVALHARNESS_CONFIG") or None)


def _ttl() -> float:
    try:
        return settings().dashboard.cache_seconds
    except EvalHarnessError:
        return 10.0  # the page itself reports the config error


CACHE_SECONDS = _ttl()


def db_path() -> str:
    """`EVALHARNESS_DB` if set (the CLI's --db sets it), else `[store] path` from the config."""
    return settings().store_url()


_STORES: dict[tuple[str, float], Store] = {}


def store(path: str | None = None, *, write: bool = False) -> Store:
    """One Store per file (its thread lock keeps this process's sessions from racing for the file).

    Reads give up after 15 s of a run holding the file (the page says so); writes wait as long as
    `[dashboard] write_timeout_seconds`.
    """
    path = path or db_path()
    timeout = settings().dashboard.write_timeout_seconds if write else 15.0
    key = (path, timeout)
    if key not in _STORES:
        _STORES[key] = Store(path, lock_timeout_s=timeout)
    return _STORES[key]


_RUN = threading.local()


@contextmanager
def app_run() -> Iterator[None]:
    """app.py wraps each run in this, so a page can tell whether it was reached through app.py."""
    _RUN.in_app = True
    try:
        yield
    finally:
        _RUN.in_app = False


def _through_app() -> None:
    """Make sure app.py (sidebar, sign-in, navigation) runs around this page.

    Because a `pages/` folder sits next to app.py, Streamlit starts a fresh server in its older file-based
    mode: the first request for a page URL (a bookmark, a reload after a restart) runs that page file alone,
    with no sidebar and no sign-in. app.py's `st.navigation` switches the server to the navigation mode; here
    we do the same and rerun, so the request is served through app.py and lands on the page asked for.
    """
    if getattr(_RUN, "in_app", False):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False  # what st.navigation itself sets
    st.rerun()


def page_start() -> str:
    """Every page calls this first: it runs the page through app.py, enforces sign-in-to-view, and stops
    with a plain explanation when there is nothing to show yet."""
    _through_app()
    if settings().dashboard.require_sign_in_to_view and account() is None:
        st.info("This dashboard is open to signed-in reviewers only. Please sign in.")
        st.stop()
    path = db_path()
    if not _store_exists(path):
        st.info(f"There are no results to show yet. The dashboard reads **{escape(store(path).display)}**, which "
                "does not exist or holds no results yet. Run `evalharness run` first, or start the dashboard with "
                "`--db` pointing at your results.")
        st.stop()
    return path


def _store_exists(path: str) -> bool:
    """A file that exists, or a database that holds the tables (one query on a reused connection)."""
    try:
        return store(path).exists()
    except StoreError:
        return False


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Show a library error as a message on the page instead of a traceback."""
    try:
        yield
    except StoreError as exc:
        st.error("The results file is busy (a run may be writing to it) and could not be read just now. "
                 f"Please wait a moment and reload the page. ({exc})")
    except EvalHarnessError as exc:
        st.error(str(exc))


# -- text ------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|$<>~])")


def escape(text: str | None) -> str:
    """Markdown-escape text people or models wrote, so `*`, `_` or `$` show as typed (and never as maths).

    Stoney letters (â î û ṯ ẖ) are ordinary characters and pass through untouched.
    """
    if text is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def show_text(label: str, text: str | None, *, empty: str = "(nothing)") -> None:
    st.markdown(f"**{label}**")
    with st.container(border=True):
        st.markdown(escape(text) if text else f"_{empty}_")


DECISION_WORDS = {
    "advance": "Passed — better than the champion",
    "revert": "Held back — not better than the champion",
    "incomplete": "Not decided — the test run was incomplete",
    "converged": "No further gains — training has levelled off",
}


# -- cached reads ----------------------------------------------------------------------------------
# Each takes the file path first, so two dashboards on two files never share an answer.

@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def champion(db: str) -> overview.Champion | None:
    return overview.current_champion(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def decisions(db: str, limit: int = 10) -> list[overview.Decision]:
    return overview.recent_decisions(store(db), limit)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def trends(db: str):
    return overview.metric_trends(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def suites(db: str) -> list[overview.SuiteSummary]:
    return overview.suites(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def checkpoints(db: str) -> list[compare.CheckpointChoice]:
    return compare.checkpoints(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def run_pairs(db: str, candidate: str, champion_identity: str) -> list[compare.RunPair]:
    return compare.run_pairs(store(db), candidate, champion_identity)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def compare_options(db: str, pairs: list[compare.RunPair]):
    return compare.metrics_for(store(db), pairs), compare.facets(store(db), pairs)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def compare_summary(db: str, pairs: list[compare.RunPair], filters: compare.CompareFilters,
                    higher_is_better: bool) -> compare.CompareSummary:
    return compare.summary(store(db), pairs, filters, higher_is_better)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def compare_page(db: str, pairs: list[compare.RunPair], filters: compare.CompareFilters, higher_is_better: bool,
                 limit: int, offset: int):
    return compare.page(store(db), pairs, filters, higher_is_better, limit=limit, offset=offset)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def find_items(db: str, suite_hash: str, search: str) -> list[tuple[str, str]]:
    return items.find_items(store(db), suite_hash, search)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def item_detail(db: str, suite_hash: str, item_id: str) -> items.ItemDetail | None:
    return items.item_detail(store(db), suite_hash, item_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def reviewable_runs(db: str):
    return reviews.reviewable_runs(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def monitor_views(db: str) -> list[MonitorView]:
    return views_of_monitors(store(db))


# Reviewer-specific reads are not cached: a reviewer must see their own save at once.


def clear_caches() -> None:
    st.cache_data.clear()


# -- sign-in ---------------------------------------------------------------------------------------

def account() -> Account | None:
    return st.session_state.get("account")


def _sign_in() -> None:
    """Form callback: check the password, count failures, and never keep the password in the session."""
    name = st.session_state.get("sign_in_name", "")
    password = st.session_state.get("sign_in_password", "")
    st.session_state["sign_in_password"] = ""
    if not name.strip() or not password:
        st.session_state["sign_in_message"] = ("warning", "Please type your name and your password.")
        return
    try:
        result = accounts.sign_in(store(write=True), name, password, settings().dashboard)
    except StoreError:
        st.session_state["sign_in_message"] = ("error", "The results file is busy; please try again in a moment.")
        return
    if result.account is not None:
        st.session_state["account"] = result.account
        st.session_state["sign_in_message"] = ("success", result.message)
    else:
        st.session_state["sign_in_message"] = ("error", result.message)


def _sign_out() -> None:
    st.session_state.pop("account", None)
    st.session_state["sign_in_message"] = ("info", "Signed out.")


def sidebar() -> None:
    """Who is signed in, or the sign-in form; and which results file this is."""
    with st.sidebar:
        who = account()
        if who is not None:
            st.markdown(f"Signed in as **{escape(who.name)}** ({'admin' if who.is_admin else 'reviewer'})")
            st.button("Sign out", key="sign_out", on_click=_sign_out)
        else:
            st.markdown("**Sign in to review answers**")
            with st.form("sign_in_form", clear_on_submit=False, border=False):
                st.text_input("Your name", key="sign_in_name")
                st.text_input("Password", type="password", key="sign_in_password")
                st.form_submit_button("Sign in", on_click=_sign_in)
        message = st.session_state.pop("sign_in_message", None)
        if message:
            kind, text = message
            getattr(st, kind)(text)
        st.caption(f"Results: {store(db_path()).display}")
