"""A connection that breaks says how it broke: the reason keeps the exception chain's text (redacted)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from evalharness.runner import Runner
from evalharness.store import records

from remote_common import OPENAI_KEY, fast_config


@pytest.fixture
def resetting_server() -> Iterator[int]:
    """Accepts, reads the request, and resets the connection (SO_LINGER 0): the client sees an empty ReadError."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                conn.recv(65536)
            except OSError:
                pass
            conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_reset_connection_is_failed_with_its_reason(keys, resetting_server, make_suite_dir, write_checkpoint,
                                                      store) -> None:
    ckpt = write_checkpoint("ft", "openai", "ft:gpt-4.1-mini:stoney", f"http://127.0.0.1:{resetting_server}/v1")
    result = Runner(fast_config(max_retries=1), store).run(ckpt, make_suite_dir(2))
    assert result.status == "incomplete" and result.n_failed == 2
    errors = {error for status, _, error in records.run_items(store, result.run_id).values()}
    assert len(errors) == 1
    error = errors.pop()
    assert error.startswith("connection error: ") and "Connection reset by peer" in error, error
    assert OPENAI_KEY not in error
