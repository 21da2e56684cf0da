"""The dashboard's pages: the one place a page is added.

Each page is a module here with a `render()` function and no Streamlit calls at import time; app.py is the
only script Streamlit runs. It decides who may see what (`who`: everyone, a signed-in reviewer, an admin),
re-checks the session, and only then calls `render()`. There is no `pages/` folder, so Streamlit never runs
a page file on its own — a page cannot skip the sign-in gate, whichever URL is asked for first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Who = Literal["everyone", "reviewer", "admin"]


@dataclass(frozen=True)
class PageSpec:
    name: str          # URL path (/name) and module name under views/
    title: str
    who: Who = "everyone"
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", default=True),
    PageSpec("compare", "Compare"),
    PageSpec("item", "Item"),
    PageSpec("review", "Review"),                     # shows its own "please sign in" to visitors
    PageSpec("live", "Live answers"),                 # likewise: rating needs a sign-in
    PageSpec("monitor", "Monitor"),
    PageSpec("corrections", "Corrections", who="admin"),
    PageSpec("accounts", "Accounts", who="admin"),
    PageSpec("ask", "Ask about the project"),
)
