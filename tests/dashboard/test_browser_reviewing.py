"""Reviewing in a real browser (Debian's headless Chromium + selenium, `evalharness dashboard` on loopback):
the letter palette, a spoken correction recorded with Chromium's fake microphone and played back, two
reviewers rating blind and the agreement shown, staying signed in across reloads, and every page at desktop
and phone width (screenshots in artifacts/).

Every wait is on a condition (text on the page, an element, a file), with generous timeouts; nothing depends
on how fast the machine is.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalharness.community import reviews
from evalharness.community.accounts import add_reviewer
from evalharness.store import Store

from . import demo_db
from .test_browser import ARTIFACTS, CHROMEDRIVER, CHROMIUM, HAVE_BROWSER, NO_BROWSER, _serve, require_browser
from .test_spoken import tone

THIRD, THIRD_PASSWORD = "Teacher Three", "wîcha-kiyâ-three-33"
DESKTOP, PHONE = (1400, 1000), (390, 844)
TIMEOUT = 60

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_BROWSER and os.environ.get("CI") != "true", reason=NO_BROWSER),
]


@pytest.fixture(scope="module")
def served(demo: demo_db.Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One dashboard for this module, over its own copy of the demo store, with a third reviewer."""
    with _serve(demo, tmp_path_factory.mktemp("reviewing"), stay_signed_in_hours=2.0) as (base, db):
        add_reviewer(Store(db), THIRD, "reviewer", THIRD_PASSWORD)
        yield base, db


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What Chromium's fake microphone "hears": a few seconds of a tone, as a WAV file."""
    path = tmp_path_factory.mktemp("mic") / "spoken.wav"
    path.write_bytes(tone(4.0, rate=16000))
    return path


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(microphone: Path, downloads: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(TIMEOUT)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# -- helpers -----------------------------------------------------------------------------------------------


def _body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _until(driver, condition, timeout: float = TIMEOUT, message: str = ""):
    """Poll `condition` until it holds. An element that went stale (Streamlit redrew the page between finding
    it and reading it) only means "ask again", never a failure."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.3,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def _idle(driver) -> None:
    """Until Streamlit has finished running the page: its status widget is gone and the page's text is the same
    on two polls in a row (a poll every 0.3 s, for as long as it takes, up to TIMEOUT)."""
    from selenium.webdriver.common.by import By

    seen: list[str] = []

    def settled(d) -> bool:
        if d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            seen.clear()
            return False
        seen.append(_body(d))
        return len(seen) >= 2 and seen[-1] == seen[-2]

    _until(driver, settled, message="the page to finish running")


def _shows(driver, *needles: str, timeout: float = TIMEOUT) -> str:
    _until(driver, lambda d: all(n in _body(d) for n in needles), timeout,
           f"waiting for {needles!r}")
    _idle(driver)
    return _body(driver)


def _url(base: str, page: str) -> str:
    """A page's address (the default page, Overview, lives at the root: /overview is "page not found")."""
    return f"{base}/" if page == "overview" else f"{base}/{page}"


def _open(driver, url: str, *needles: str) -> str:
    driver.get(url)
    return _shows(driver, *needles)


def _button(driver, text: str):
    from selenium.webdriver.common.by import By

    return _until(driver, lambda d: next((b for b in d.find_elements(By.TAG_NAME, "button")
                                          if b.text.strip() == text and b.is_displayed()), None),
                  message=f"a button '{text}'")


def _click(driver, element) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _sign_in(driver, base: str, name: str, password: str, page: str = "review") -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    _open(driver, _url(base, page), "Sign in to review answers")
    for label, value in (("Your name", name), ("Password", password)):
        field = _until(driver, lambda d, label=label: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, f'input[aria-label="{label}"]') if e.is_displayed()), None),
            message=f"the {label} box")
        field.send_keys(value)
    _click(driver, _button(driver, "Sign in"))
    # Signed in once no password box is left on the screen (at phone width "Signed in as" is in the folded sidebar).
    _until(driver, lambda d: not any(e.is_displayed() for e in d.find_elements(
        By.CSS_SELECTOR, 'input[aria-label="Password"]')), message="the sign-in form to go")
    _until(driver, lambda d: d.get_cookie("evalharness_session") is not None, message="the sign-in cookie")
    _idle(driver)


def _sign_out(driver) -> None:
    _click(driver, _button(driver, "Sign out"))
    _shows(driver, "Sign in to review answers")


def _field(driver, prefix: str):
    """The review field whose widget key starts with `prefix` (e.g. rv_text_): its textarea or input."""
    from selenium.webdriver.common.by import By

    return _until(driver, lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, f'[class*="st-key-{prefix}"] textarea, [class*="st-key-{prefix}"] input')), None),
        message=f"a field {prefix}")


def _choose(driver, label_text: str, group: int) -> None:
    """Click the radio choice `label_text` in the `group`-th radio group on the page."""
    from selenium.webdriver.common.by import By

    radios = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"]')
    choice = next(e for e in radios[group].find_elements(By.CSS_SELECTOR, "label") if e.text.strip() == label_text)
    _click(driver, choice)
    _idle(driver)


def _save(driver, expected: str = "Saved") -> str:
    _click(driver, _button(driver, "Save"))
    return _shows(driver, expected)


def _shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"reviewing-{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5_000
    return path


# -- a spoken correction -----------------------------------------------------------------------------------


def test_a_spoken_correction_is_recorded_played_back_and_exported(served, browser, downloads) -> None:
    from selenium.webdriver.common.by import By

    base, db = served
    store = Store(db)
    _sign_in(browser, base, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    _shows(browser, "Your review", "Or say the correction out loud")
    recorder = browser.find_element(By.CSS_SELECTOR, '[data-testid="stAudioInput"]')
    _click(browser, _until(browser, lambda d: next((b for b in recorder.find_elements(By.TAG_NAME, "button")
                                                    if b.get_attribute("aria-label") == "Record"), None)))
    # Stop once the recorder's clock shows a second or more of sound.
    _until(browser, lambda d: any(t in recorder.text for t in ("00:01", "00:02", "00:03", "00:04")))
    stop = next(b for b in recorder.find_elements(By.TAG_NAME, "button")
                if (b.get_attribute("aria-label") or "").lower().startswith("stop"))
    _click(browser, stop)
    _idle(browser)
    _save(browser, "Saved your spoken correction")
    [(correction_id, sha, n_bytes, who)] = store.query(
        "SELECT correction_id, audio_sha256, n_bytes, recorded_by FROM correction_audio")
    assert n_bytes > 16_000 and who == demo_db.REVIEWER
    _sign_out(browser)

    # The admin listens to it on the Corrections page, writes it down, accepts it and downloads the export.
    _sign_in(browser, base, demo_db.ADMIN, demo_db.ADMIN_PASSWORD, page="overview")
    _open(browser, f"{base}/corrections", "The reviewer said")
    player = _until(browser, lambda d: next(iter(d.find_elements(By.TAG_NAME, "audio")), None))
    heard = browser.execute_async_script("""
        const [audio, done] = arguments;
        fetch(audio.src).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b)).then(h => {
          const hex = Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join('');
          audio.muted = true;
          audio.play().then(() => done(hex), e => done('play failed: ' + e));
        }, e => done('fetch failed: ' + e));""", player)
    assert heard == sha  # the browser gets exactly the recording that was stored
    _until(browser, lambda d: d.execute_script("return arguments[0].currentTime", player) > 0.2,
           message="the recording playing")
    _shot(browser, "corrections-spoken")
    summary = browser.find_element(By.XPATH, "//summary[contains(., 'Write down what the recording says')]")
    _click(browser, summary)
    transcript = _field(browser, f"cr_transcript_{correction_id}")
    _click(browser, transcript)
    transcript.send_keys("Hûji ethen: hurry up, said kindly.")
    _click(browser, _button(browser, "Save the transcript"))
    _shows(browser, "The transcript is saved")
    accept = browser.find_element(By.CSS_SELECTOR, f'[class*="st-key-cr_accept_{correction_id}"] button')
    _click(browser, accept)
    _shows(browser, "Accepted. Thank you.")
    for old in downloads.iterdir():
        old.unlink()
    _click(browser, _button(browser, "Download triplets (zip, with recordings)"))
    path = downloads / "corrections-triplets.zip"
    _until(browser, lambda d: path.is_file() and not any(p.suffix == ".crdownload" for p in downloads.iterdir()),
           message="the download")
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    stored = store.query("SELECT data FROM correction_audio WHERE correction_id = ?", [correction_id])[0][0]
    assert archive.read(f"audio/{sha}.wav") == bytes(stored)
    assert hashlib.sha256(archive.read(f"audio/{sha}.wav")).hexdigest() == sha
    assert f"audio:{sha[:32]}" in archive.read("corrections-triplets.jsonl").decode("utf-8")
    assert correction_id in archive.read("corrections-triplets.audio.jsonl").decode("utf-8")
    _sign_out(browser)


# -- two voices, blind -------------------------------------------------------------------------------------


def _rate_first_answer(browser, base: str, name: str, password: str, verdict: str, grade: int, note: str) -> str:
    from selenium.webdriver.common.by import By

    _sign_in(browser, base, name, password)
    text = _shows(browser, "Your review")
    question = browser.find_element(By.CSS_SELECTOR, '[class*="st-key-rv_pick_"]').text.splitlines()[-1]
    _choose(browser, verdict, 0)
    _choose(browser, str(grade) if grade not in (1, 3, 5) else
            {1: "1 — not authentic", 3: "3 — partly", 5: "5 — fully authentic"}[grade], 1)
    note_field = _field(browser, "rv_note_")
    _click(browser, note_field)
    note_field.send_keys(note)
    _save(browser, "Saved your rating")
    _sign_out(browser)
    return question + "\n" + text


def test_two_reviewers_rate_the_same_answer_blind_and_the_agreement_shows(served, browser, demo) -> None:
    base, db = served
    store = Store(db)
    # An answer of an older run already has two voices (so that agreement is measured over two answers).
    seeded = reviews.target(store, demo.run_ids[("stoney-base", "stoney-dictionary-mini")], "dq-05")
    assert seeded is not None
    reviews.save_review(store, demo_db.ADMIN, seeded, verdict="wrong", cas_rating=1)
    reviews.save_review(store, THIRD, seeded, verdict="wrong", cas_rating=2)

    first = _rate_first_answer(browser, base, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, "Wrong", 2,
                               "FIRST-VOICE-NOTE")
    second = _rate_first_answer(browser, base, THIRD, THIRD_PASSWORD, "Wrong", 1, "second voice")
    assert first.splitlines()[0] == second.splitlines()[0]  # the same answer went to the second reviewer
    assert "FIRST-VOICE-NOTE" not in second and "1 other reviewer(s) have rated this answer" in second
    _open(browser, f"{base}/agreement", "Do reviewers agree?", "Right or wrong")
    text = _shows(browser, "From 2 answers rated by two or more of")
    assert "Cultural authenticity (1–5)" in text
    _shot(browser, "agreement")


# -- on a phone: sign in, rate, write a correction with the palette ----------------------------------------


def test_on_a_phone_a_reviewer_rates_and_writes_a_correction_with_the_palette(served, browser) -> None:
    """At 390×844: the letters from the palette go where the cursor is, the rating and the correction are saved
    together, and the confirmation shows where the reviewer is looking."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, db = served
    store = Store(db)
    browser.set_window_size(*PHONE)
    try:
        _sign_in(browser, base, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
        _shows(browser, "Your review")
        before = store.query("SELECT count(*) FROM ratings WHERE rater = ?", [demo_db.REVIEWER])[0][0]
        _choose(browser, "Wrong", 0)
        _choose(browser, "2", 1)
        area = _field(browser, "rv_text_")
        _click(browser, area)
        area.send_keys("The word is îjada", "e.")
        area.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)  # the cursor between "îjada" and "e."
        for letter in ("ṯ", "ẖ"):
            key = _until(browser, lambda d, letter=letter: next(iter(d.find_elements(
                By.CSS_SELECTOR, f'[class*="st-key-palette_rv_text_"] button[data-letter="{letter}"]')), None))
            _click(browser, key)
        _until(browser, lambda d: _field(d, "rv_text_").get_attribute("value") == "The word is îjadaṯẖe.")
        assert browser.execute_script("return document.activeElement.tagName") == "TEXTAREA"  # focus stayed put
        assert browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 1
        _save(browser, "Saved your rating and your correction")
        _shot(browser, "phone-rated-and-corrected")
        [correction] = [c for c in reviews.list_corrections(store) if c.narrative.startswith("The word is")]
        assert correction.narrative == "The word is îjadaṯẖe." and correction.author == demo_db.REVIEWER
        after = store.query("SELECT verdict, cas_rating FROM ratings WHERE rater = ? ORDER BY created_at",
                            [demo_db.REVIEWER])
        assert len(after) == before + 1 and tuple(after[-1]) == ("wrong", 2)
    finally:
        browser.set_window_size(*DESKTOP)
    _sign_out(browser)


# -- staying signed in -------------------------------------------------------------------------------------


def test_a_reviewer_stays_signed_in_across_reloads_and_tabs_until_signing_out(served, browser) -> None:
    base, _ = served
    _sign_in(browser, base, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, page="overview")
    _until(browser, lambda d: d.get_cookie("evalharness_session") is not None, message="the sign-in cookie")
    cookie = browser.get_cookie("evalharness_session")
    assert cookie["sameSite"] == "Strict" and "." in cookie["value"]
    _open(browser, f"{base}/progress", f"Signed in as {demo_db.REVIEWER}", "Our progress")  # a reload
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    _open(browser, f"{base}/review", f"Signed in as {demo_db.REVIEWER}", "Your review")  # a new tab
    browser.close()
    browser.switch_to.window(first)
    _sign_out(browser)
    _until(browser, lambda d: d.get_cookie("evalharness_session") is None, message="the cookie cleared")
    _open(browser, f"{base}/progress", "Sign in to review answers")
    # A stolen copy of the token does not sign anyone in once its owner signed out.
    browser.add_cookie({"name": "evalharness_session", "value": cookie["value"], "path": "/"})
    _open(browser, f"{base}/progress", "Sign in to review answers")
    browser.delete_all_cookies()


# -- every page, desktop and phone -------------------------------------------------------------------------

PAGES = {
    "overview": "The model in use now",
    "compare": "Compare answers",
    "item": "One item in full",
    "review": "Review answers",
    "progress": "Our progress",
    "agreement": "Do reviewers agree?",
    "live": "Live answers",
    "monitor": "Monitoring the model in use",
    "corrections": "Corrections",
    "accounts": "Accounts",
    "ask": "Ask about the project",
}


def test_every_page_at_desktop_and_phone_width(served, browser) -> None:
    base, _ = served
    _sign_in(browser, base, demo_db.ADMIN, demo_db.ADMIN_PASSWORD, page="overview")
    overflow = {}
    for width, height in (DESKTOP, PHONE):
        browser.set_window_size(width, height)
        for page, heading in PAGES.items():
            _open(browser, _url(base, page), heading)
            wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            if wide > 1:
                overflow[(page, width)] = wide
            _shot(browser, f"{page}-{width}x{height}")
    browser.set_window_size(*DESKTOP)
    assert not overflow, f"pages wider than the screen (pixels of sideways scrolling): {overflow}"
    _sign_out(browser)
