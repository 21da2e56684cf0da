"""A real browser: `evalharness dashboard` on a loopback port, Debian's headless Chromium driven by selenium.

Checks what actually renders (Stoney diacritics, the champion, the comparison) and that a reviewer can sign in
and save from the browser. Screenshots go to artifacts/dashboard-*.png.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalharness.community import reviews
from evalharness.store import Store

from . import demo_db
from .conftest import ROOT, write_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "artifacts"

NO_BROWSER = "Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium chromium-driver)"
#: Without the browser these tests skip on a developer's machine; under CI=true they fail (a missing browser must
#: never turn the browser tests into a green run).
HAVE_BROWSER = CHROMIUM.exists() and CHROMEDRIVER.exists()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_BROWSER and os.environ.get("CI") != "true", reason=NO_BROWSER),
]


def require_browser() -> None:
    """Fail (under CI=true the skip above does not apply) when Chromium or its driver is missing."""
    if not HAVE_BROWSER:
        pytest.fail(NO_BROWSER)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve(demo: demo_db.Demo, tmp_path: Path, **dashboard: object) -> Iterator[tuple[str, Path]]:
    """`evalharness dashboard` on a free loopback port over a copy of the demo store, as a user starts it."""
    db = tmp_path / "browser.duckdb"
    shutil.copyfile(demo.db, db)
    config = write_config(tmp_path / "evalharness.toml", cache_seconds=1.0, **dashboard)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "evalharness", "dashboard", "--port", str(port), "--db", str(db),
                             "--config", str(config)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
        yield base, db
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server(demo: demo_db.Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One server for this module (each page load is its own browser session, as for separate people)."""
    with _serve(demo, tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,2400",
                 # the hosting test's site name is loopback; its certificate comes from Caddy's own local CA
                 f"--host-resolver-rules=MAP {SITE} 127.0.0.1", "--ignore-certificate-errors"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _wait_for(driver, *needles: str, timeout: float = 45) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: all(n in _body(d) for n in needles))
    _wait_idle(driver)
    return _body(driver)


def _wait_idle(driver, timeout: float = 30) -> None:
    """Until Streamlit's 'running' indicator is gone, so a screenshot shows a finished page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    time.sleep(0.5)
    WebDriverWait(driver, timeout).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))


def _shot(driver, name: str) -> Path:
    """Screenshot once the tables (drawn on a canvas, loaded lazily) are there."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: all(
        t.find_elements(By.TAG_NAME, "canvas") for t in d.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
        if t.is_displayed()))  # a table folded inside a closed expander draws nothing until it is opened
    time.sleep(1.0)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_pages_render_in_a_real_browser(server, browser, demo: demo_db.Demo) -> None:
    base, _ = server
    browser.get(base + "/")
    text = _wait_for(browser, "The model in use now", demo_db.CHAMPION, "Held back")
    assert "chrF++ fell by 9.8" in text and "Test sets and who may use them" in text
    _shot(browser, "overview")

    browser.get(f"{base}/item?suite={demo.dictionary.content_hash[:12]}&item=dq-01")
    text = _wait_for(browser, "One item in full", demo_db.STONEY_WORD, "stoney-v3-lora")
    assert "The Stoney word for 'broom' is îjadaṯẖe." in text  # â î û ṯ ẖ drawn as typed, not mangled
    _shot(browser, "item")

    browser.get(base + "/compare")
    text = _wait_for(browser, "Compare answers", "Got worse", "Could not be compared", "Items 1–16 of 16")
    assert "Average change in chrF++ per item" in text
    _shot(browser, "compare")
    # Offline: the pages must not try to fetch anything from outside this machine.
    failed = [e["message"] for e in browser.get_log("browser")
              if e.get("source") == "network" and not e["message"].startswith(base)]
    assert not failed, failed


def test_a_reviewer_signs_in_and_saves_from_the_browser(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, db = server
    browser.get(base + "/review")
    _wait_for(browser, "Please sign in below")
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Your name"]').send_keys(demo_db.REVIEWER)
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(demo_db.REVIEWER_PASSWORD)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Sign in").click()
    _wait_for(browser, "Your review", f"Signed in as {demo_db.REVIEWER}")
    next(e for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"] label') if e.text == "Wrong").click()
    _wait_idle(browser)
    area = browser.find_element(By.TAG_NAME, "textarea")
    area.send_keys("'hûji ethen' means hurry up; it is said kindly when it is time to go.")
    area.send_keys(Keys.CONTROL, Keys.ENTER)  # commit the text, as leaving the box does
    _wait_idle(browser)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Save").click()
    _wait_for(browser, "Saved your rating and your correction")
    _shot(browser, "review")
    store = Store(db)
    [correction] = reviews.list_corrections(store)
    assert correction.author == demo_db.REVIEWER
    assert correction.narrative == "'hûji ethen' means hurry up; it is said kindly when it is time to go."
    assert store.query("SELECT verdict, rater FROM ratings") == [("wrong", demo_db.REVIEWER)]


def _sign_in(browser, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Your name"]').send_keys(name)
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(password)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Sign in").click()


def test_ask_first_on_a_fresh_server_that_requires_sign_in(demo: demo_db.Demo, browser, tmp_path: Path) -> None:
    """The first request a new server gets is /ask: it shows the sign-in page, not the reviewer chat."""
    with _serve(demo, tmp_path, require_sign_in_to_view=True) as (base, db):
        browser.get(base + "/ask")
        text = _wait_for(browser, "Please sign in")
        assert "Ask about the project" not in text and "reviewer has read" not in text
        assert str(db) not in text and "duckdb" not in text  # no server path before sign-in
        _shot(browser, "closed-ask")
        _sign_in(browser, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
        # Signed in, the address asked for (/ask) opens the page itself.
        _wait_for(browser, f"Signed in as {demo_db.REVIEWER}", "Ask about the project", "The reviewer has read")
        assert browser.current_url.rstrip("/").endswith("/ask")
        _shot(browser, "closed-ask-signed-in")


def _handshake(base: str, host: str) -> str:
    """The status line a WebSocket upgrade to Streamlit's stream gets with this Host (and a matching Origin),
    as a page on a rebound DNS name would send it."""
    port = int(base.rsplit(":", 1)[1])
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.encode())
        return conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_dns_rebinding_host_is_refused(server) -> None:
    base, _ = server
    assert " 101 " in _handshake(base, "127.0.0.1")
    assert " 101 " not in _handshake(base, "evil.example")


# -- the hosting recipe: PostgreSQL + the dashboard behind Caddy over HTTPS (deploy/Caddyfile, docs/hosting.md) --

CADDY = shutil.which("caddy")
SITE = "localhost"


def _wait_http(url: str, proc: subprocess.Popen, log: Path, *, context=None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not come up: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def hosted(demo: demo_db.Demo, pg_base: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """The recipe on loopback: the demo store copied into PostgreSQL (`store copy`), `evalharness dashboard`
    with --allowed-host on 127.0.0.1, and Caddy serving deploy/Caddyfile with `tls internal` on a free port."""
    if CADDY is None:
        message = "Caddy is not installed (apt-get install caddy)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from evalharness.store.maintenance import copy_store

    from evalharness.testing.postgres import drop_schema, new_schema

    tmp_path = tmp_path_factory.mktemp("hosted")
    schema, url = new_schema(pg_base)
    copy_store(Store(demo.db), Store(url))
    config = write_config(tmp_path / "evalharness.toml", cache_seconds=1.0, trust_forwarded_for=True,
                          allowed_hosts=[SITE, "127.0.0.1"])
    port, https_port, http_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EVALHARNESS_DB", None)
    dash_log = tmp_path / "dashboard.log"
    dashboard = subprocess.Popen([sys.executable, "-m", "evalharness", "dashboard", "--port", str(port), "--db", url,
                                  "--config", str(config), "--allowed-host", SITE], cwd=tmp_path, env=env,
                                 stdout=dash_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    caddy_env = {**os.environ, "EVALHARNESS_SITE": SITE, "EVALHARNESS_BIND": "127.0.0.1",
                 "EVALHARNESS_HTTPS_PORT": str(https_port), "EVALHARNESS_HTTP_PORT": str(http_port),
                 "EVALHARNESS_DASHBOARD_PORT": str(port), "XDG_DATA_HOME": str(tmp_path / "caddy-data"),
                 "XDG_CONFIG_HOME": str(tmp_path / "caddy-config"), "HOME": str(tmp_path)}
    caddy_log = tmp_path / "caddy.log"
    caddy = subprocess.Popen([CADDY, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
                             env=caddy_env, stdout=caddy_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", dashboard, dash_log)
        root = tmp_path / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 60
        while not root.exists() and time.monotonic() < deadline and caddy.poll() is None:
            time.sleep(0.2)
        import ssl

        trust = ssl.create_default_context(cafile=str(root))

        # dashboard.localhost is loopback (RFC 6761); Python resolves it through the system, so check it does
        socket.getaddrinfo(SITE, https_port)
        _wait_http(f"https://{SITE}:{https_port}/_stcore/health", caddy, caddy_log, context=trust)
        yield f"https://{SITE}:{https_port}", url, root
    finally:
        _stop(caddy)
        _stop(dashboard)
        drop_schema(pg_base, schema)


def test_the_hosting_recipe_serves_the_team_store_over_https(hosted, browser) -> None:
    """Through Caddy's TLS on loopback, against PostgreSQL: the certificate verifies for the site's name with
    Caddy's own root, another Host is not served, and a reviewer signs in and saves from a real browser."""
    import ssl

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, url, root = hosted
    trust = ssl.create_default_context(cafile=str(root))
    with urllib.request.urlopen(base + "/_stcore/health", timeout=10, context=trust) as response:
        assert response.read() == b"ok" and response.headers["Strict-Transport-Security"]
    port = base.rsplit(":", 1)[1]
    with pytest.raises(OSError):  # only the configured name is served (no certificate, no site for another)
        urllib.request.urlopen(f"https://127.0.0.1:{port}/", timeout=10, context=ssl.create_default_context())
    browser.get(base + "/review")
    _wait_for(browser, "Please sign in below")
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Your name"]').send_keys(demo_db.REVIEWER)
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(demo_db.REVIEWER_PASSWORD)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Sign in").click()
    _wait_for(browser, "Your review", f"Signed in as {demo_db.REVIEWER}")
    next(e for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"] label') if e.text == "Wrong").click()
    _wait_idle(browser)
    area = browser.find_element(By.TAG_NAME, "textarea")
    area.send_keys("îjadaṯẖe is the broom; through the proxy.")
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    _wait_idle(browser)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Save").click()
    _wait_for(browser, "Saved your rating and your correction")
    _shot(browser, "hosted-review")
    assert browser.current_url.startswith("https://" + SITE)
    [correction] = reviews.list_corrections(Store(url))
    assert correction.author == demo_db.REVIEWER and correction.narrative == "îjadaṯẖe is the broom; through the proxy."
