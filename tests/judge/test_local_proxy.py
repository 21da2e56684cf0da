"""A judge on loopback is "not external" only if its requests really stay here: no proxy from the environment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.runner import Runner
from evalharness.suites import load_suite

from .conftest import ROWS, judge_config, write_suite
from .fakes import verdict_json


class CountingProxy:
    """A loopback HTTP proxy that counts what reaches it and forwards nothing (answers 502)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _refuse(self) -> None:
                proxy.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(502)
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = do_CONNECT = _refuse

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    server = CountingProxy()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, server.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.close()


def test_loopback_judge_ignores_proxy_settings(proxy: CountingProxy, fake_server, store, tmp_path: Path,
                                               replay: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "closed", ROWS, name="closed", uses=("evaluation",)))
    server = fake_server(lambda rec: verdict_json(4))
    result = Runner(judge_config(server, provider="openai_compatible"), store).run(load_checkpoint(replay), suite)
    assert proxy.requests == []
    assert len(server.requests) == 3 and result.metrics["cas"]["status"] == "scored"
