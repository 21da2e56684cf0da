"""A key planted in the environment appears nowhere: not in the DuckDB file, not in logs, not in output —
even when the server echoes it back in its error messages (the fake's 500s do)."""

from __future__ import annotations

import logging

from evalharness.providers.keys import Secret, scrub
from evalharness.runner import Runner
from evalharness.store import Store, maintenance

from remote_common import BACKENDS, GEMINI_KEY, OPENAI_KEY, fast_config, remote_checkpoint


def _tables_containing(store: Store, needle: str) -> list[str]:
    """Every table.column whose value (as text) holds `needle`, on either engine (read through the store, since
    DuckDB compresses strings on disk and bytes alone can miss)."""
    hits = []
    with store.connect() as con:
        for table in maintenance.tables(con):
            names = maintenance.columns(con, table)
            for row in con.rows(f"SELECT {', '.join(names)} FROM {table}"):
                hits += [f"{table}.{n}" for n, v in zip(names, row) if v is not None and needle in str(v)]
    return sorted(set(hits))


def test_the_scanner_finds_a_planted_value(store: Store):
    """Control: the check below would see a key if one were stored."""
    with store.transaction() as con:
        con.execute("INSERT INTO run_items (run_id, item_id, cache_key, status, error) VALUES "
                    "('r', 'i', 'k', 'failed', ?)", [f"boom {OPENAI_KEY}"])
    assert _tables_containing(store, OPENAI_KEY) == ["run_items.error"]


def test_planted_keys_appear_nowhere(keys, fake, make_suite_dir, write_checkpoint, store: Store, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # the SDKs' debug logging included
    fake.behaviour.fault_rate = 0.3
    fake.behaviour.fault_kinds = ("500", "429")  # the 500 body quotes the Authorization / x-goog-api-key header
    fake.behaviour.always_fail = ("word 3 ",)
    suite = make_suite_dir(12)
    results = []
    for backend in BACKENDS:
        extra = {"api_key_env": "OPENAI_API_KEY"} if backend == "openai_compatible" else {}
        ckpt = remote_checkpoint(write_checkpoint, backend, fake, **extra)
        results.append(Runner(fast_config(), store).run(ckpt, suite))
    assert all(r.status == "incomplete" for r in results)  # the always-failing item carries the echoed 500
    errors = [e for (e,) in store.query("SELECT error FROM run_items WHERE status = 'failed'")]
    assert len(errors) == 3 and all("[redacted]" in e for e in errors)

    captured = capsys.readouterr()
    assert any(r.name.startswith(("openai", "httpx", "google")) for r in caplog.records)  # logs were captured
    for key in (OPENAI_KEY, GEMINI_KEY):
        assert _tables_containing(store, key) == []
        files = store.path.parent.glob(store.path.name + "*") if store.path is not None else ()
        for path in files:  # the file and any WAL
            assert key.encode() not in path.read_bytes()
        assert key not in caplog.text
        assert key not in captured.out and key not in captured.err


def test_secret_never_prints_and_scrub_removes_known_keys(keys):
    secret = Secret("sk-test-another-SECRET-42", "SOME_VAR")
    assert "SECRET" not in repr(secret) and "SECRET" not in str(secret) and "SOME_VAR" in repr(secret)
    assert scrub("failed with sk-test-another-SECRET-42 inside") == "failed with [redacted] inside"
    assert scrub('{"Authorization": "Bearer anything-else"}') == '{"Authorization": "Bearer [redacted]"}'
    assert scrub("GET /v1/models?key=AIzaSomething&alt=sse") == "GET /v1/models?key=[redacted]&alt=sse"
