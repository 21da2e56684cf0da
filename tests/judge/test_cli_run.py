"""`evalharness run` with a `[judge]` section: the user's path from a config file to a CAS column."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from evalharness.cli import app

from .conftest import REPLIES, RUBRIC
from .fakes import Recorded, verdict_json

CONFIG = """
[metrics]
enabled = ["chrf++", "cas"]
required = ["chrf++"]

[judge]
enabled = true
provider = "openai"
model = "judge-model"
base_url = "{url}/v1"
samples = 2
rubric = "{rubric}"

[providers.openai]
backoff_s = 0
max_backoff_s = 0

[keys]
OPENAI_API_KEY = ["127.0.0.1"]
"""


def test_run_cli_scores_cas_from_the_config_and_lists_unstable_items(tmp_path: Path, fake_server, suite_dir: Path,
                                                                      replay: Path) -> None:
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def script(rec: Recorded) -> str:
        with lock:
            seen[rec.user] += 1
            n = seen[rec.user]
        return verdict_json(1 if (REPLIES["q3"] in rec.user and n == 1) else 5)

    server = fake_server(script)
    config = tmp_path / "evalharness.toml"
    config.write_text(CONFIG.format(url=server.url, rubric=RUBRIC.as_posix()), encoding="utf-8")
    db = str(tmp_path / "cli.duckdb")
    args = ["run", "-c", str(replay), "-s", str(suite_dir), "--config", str(config), "--db", db]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "CAS" in table.output and "1 unstable item(s)" in table.output and "q3" in table.output
    data = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)  # reused: nothing sent again
    cas = data["runs"][0]["metrics"]["cas"]
    assert cas["status"] == "scored" and cas["n_scored"] == 3 and len(server.requests) == 6
    # q1, q2: 5 and 5 → 1.0; q3: 1 and 5 → 0.5; mean 0.8333 → 83.33
    assert abs(cas["corpus_score"] - 100 * 2.5 / 3) < 1e-9


def test_retry_failed_asks_again_for_the_invalid_verdicts_of_a_complete_run(tmp_path: Path, fake_server,
                                                                             suite_dir: Path, replay: Path) -> None:
    broken = {"on": True}
    server = fake_server(lambda rec: "not a verdict" if broken["on"] and REPLIES["q3"] in rec.user
                         else verdict_json(5))
    config = tmp_path / "evalharness.toml"
    config.write_text(CONFIG.format(url=server.url, rubric=RUBRIC.as_posix()), encoding="utf-8")
    db = str(tmp_path / "cli.duckdb")
    args = ["run", "-c", str(replay), "-s", str(suite_dir), "--config", str(config), "--db", db, "--json"]
    first = json.loads(CliRunner().invoke(app, args).output)["runs"][0]
    assert first["status"] == "complete" and first["metrics"]["cas"]["status"] == "partial"  # q3: invalid
    broken["on"] = False
    sent = len(server.requests)
    retried = json.loads(CliRunner().invoke(app, [*args, "--retry-failed"]).output)
    assert retried["nothing_to_retry"] == []
    run = retried["runs"][0]
    assert run["run_id"] == first["run_id"] and run["generated"] == 0
    assert run["metrics"]["cas"]["status"] == "scored" and run["metrics"]["cas"]["n_scored"] == 3
    assert 0 < len(server.requests) - sent <= 2  # only q3's samples are asked again
    again = json.loads(CliRunner().invoke(app, [*args, "--retry-failed"]).output)
    assert again["runs"] == [] and len(again["nothing_to_retry"]) == 1
