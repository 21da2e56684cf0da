"""The Monitor page in a real browser: `evalharness dashboard` on loopback, Debian's headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard.test_browser import CHROMIUM, _free_port, _shot, _wait_for, browser  # noqa: F401

from . import monitored_store
from .monitored_store import Monitored

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                                                      "(apt-get install -y chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Monitored]]:
    monitored = monitored_store.build(tmp_path_factory.mktemp("monitored-browser"))
    port = _free_port()
    log_path = monitored.root / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "evalharness", "dashboard", "--port", str(port), "--db",
                             str(monitored.db), "--config", str(monitored.config_path)], cwd=monitored.root,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
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
                pytest.fail(f"the dashboard did not start: {log_path.read_text()}")
            time.sleep(0.3)
        yield base, monitored
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()


def test_monitor_page_renders_series_alarm_and_retirement(server, browser) -> None:  # noqa: F811
    base, monitored = server
    browser.get(base + "/monitor")
    text = _wait_for(browser, "Monitoring the model in use", "Days until retirement", "Share of answers that changed")
    assert "30" in text and "ON" in text
    assert f"shuts down on {monitored.shutdown:%Y-%m-%d}" in text
    assert "Live answers from the app" in text
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # three charts: the canary score with alarm markers, the changed share, the evidence (drawn as they arrive)
    WebDriverWait(browser, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')) >= 3)
    _shot(browser, "monitor")
    failed = [e["message"] for e in browser.get_log("browser")
              if e.get("source") == "network" and not e["message"].startswith(base)]
    assert not failed, failed


def test_a_reviewer_rates_a_live_answer_in_the_browser(server, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    from evalharness.store import Store
    from tests.dashboard.test_browser import _sign_in, _wait_idle

    base, monitored = server
    browser.get(base + "/live")
    _wait_for(browser, "Please sign in on the left")
    _sign_in(browser, monitored_store.REVIEWER, monitored_store.PASSWORD)
    _wait_for(browser, "You have reviewed 1 of 2 live answers", f"Signed in as {monitored_store.REVIEWER}")
    next(e for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"] label') if e.text == "Wrong").click()
    _wait_idle(browser)
    next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "Save").click()
    _wait_for(browser, "Saved at")
    _shot(browser, "live")
    rows = Store(monitored.db).query("SELECT verdict, rater, source, run_id FROM ratings ORDER BY created_at")
    assert rows == [("right", monitored_store.REVIEWER, "live", None), ("wrong", monitored_store.REVIEWER, "live", None)]
