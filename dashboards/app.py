"""The community review dashboard: `evalharness dashboard`, or `streamlit run dashboards/app.py`.

The only script Streamlit runs. Every request goes through here: settings, the session check (idle
timeout; account removed, role changed or password reset since sign-in), sign-in-to-view, and who may see
which page — and only then the page's `render()` (pages are listed in views/__init__.py).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the pages import ui_common from this folder

import streamlit as st  # noqa: E402

import ui_common as ui  # noqa: E402
from evalharness.errors import EvalHarnessError  # noqa: E402
from views import PAGES, PageSpec  # noqa: E402

# No page icons: Streamlit fetches a Material-icon favicon from fonts.gstatic.com (this runs offline), and emoji
# show as empty boxes where no emoji font is installed. Plain words read best anyway.
st.set_page_config(page_title="Stoney language model review", layout="wide")
# Errors show a plain message in the browser, never a traceback (paths, queries); the server log keeps them.
st.set_option("client.showErrorDetails", "none")

try:
    config = ui.settings()
except EvalHarnessError as exc:
    logging.getLogger("evalharness.dashboard").error("settings could not be read: %s", exc)
    st.error("The dashboard's settings could not be read. The person running the server can see why in its log.")
    st.stop()

account = ui.refresh_session()
ui.sidebar()


def _sign_in_first() -> None:
    st.title("Please sign in")
    st.write("This dashboard is open to signed-in reviewers only. Type your name and password on the left. "
             "If you do not have an account yet, ask the project's admin to make one for you.")


def _guarded(spec: PageSpec) -> Callable[[], None]:
    """The page's render(), reached only through here."""

    def run() -> None:
        importlib.import_module(f"views.{spec.name}").render()

    run.__name__ = spec.name
    return run


def _may_see(spec: PageSpec) -> bool:
    if spec.who == "admin":
        return account is not None and account.is_admin
    if spec.who == "reviewer":
        return account is not None
    return True


def _sign_in_page(spec: PageSpec) -> Callable[[], None]:
    def run() -> None:
        _sign_in_first()

    run.__name__ = f"sign_in_{spec.name}"
    return run


if config.dashboard.require_sign_in_to_view and account is None:
    # Every address answers with the sign-in page (so a bookmark to /ask shows it, not "page not found"),
    # and after signing in the same address opens the page that was asked for.
    pages = [st.Page(_sign_in_page(spec), title="Sign in", url_path=spec.name, default=spec.default,
                     visibility="visible" if spec.default else "hidden") for spec in PAGES]
else:
    pages = [st.Page(_guarded(spec), title=spec.title, url_path=spec.name, default=spec.default)
             for spec in PAGES if _may_see(spec) and (HERE / "views" / f"{spec.name}.py").is_file()]
ui.remember_pages(pages)
st.navigation(pages).run()
