"""The community review dashboard: `evalharness dashboard`, or `streamlit run dashboards/app.py`.

Pages: Overview, Compare, Item, Review (signed-in reviewers), Corrections (admins), and "Ask about the
project" when that page is installed. Reads the DuckDB file named by EVALHARNESS_DB or the config.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the pages import ui_common from this folder

import streamlit as st  # noqa: E402

import ui_common as ui  # noqa: E402
from evalharness.errors import EvalHarnessError  # noqa: E402

# No page icons: Streamlit fetches a Material-icon favicon from fonts.gstatic.com (this runs offline), and emoji
# show as empty boxes where no emoji font is installed. Plain words read best anyway.
st.set_page_config(page_title="Stoney language model review", layout="wide")

try:
    config = ui.settings()
except EvalHarnessError as exc:
    st.error(f"The dashboard's settings could not be read: {exc}")
    st.stop()

ui.sidebar()
account = ui.account()


def _sign_in_first() -> None:
    st.title("Please sign in")
    st.write("This dashboard is open to signed-in reviewers only. Type your name and password on the left. "
             "If you do not have an account yet, ask the project's admin to make one for you.")


if config.dashboard.require_sign_in_to_view and account is None:
    page = st.navigation([st.Page(_sign_in_first, title="Sign in")])
else:
    pages = [
        st.Page(HERE / "pages" / "overview.py", title="Overview", default=True),
        st.Page(HERE / "pages" / "compare.py", title="Compare"),
        st.Page(HERE / "pages" / "item.py", title="Item"),
        st.Page(HERE / "pages" / "review.py", title="Review"),
        st.Page(HERE / "pages" / "live.py", title="Live answers"),
        st.Page(HERE / "pages" / "monitor.py", title="Monitor"),
    ]
    if account is not None and account.is_admin:
        pages.append(st.Page(HERE / "pages" / "corrections.py", title="Corrections"))
    ask = HERE / "pages" / "ask.py"
    if ask.is_file():  # built separately; shown only where it is installed
        pages.append(st.Page(ask, title="Ask about the project"))
    page = st.navigation(pages)
with ui.app_run():
    page.run()
