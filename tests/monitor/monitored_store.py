"""A store with a monitor's history, for the CLI, dashboard and browser tests: two checks as tested, then a
silent switch until the drift alarm is on; the base model shuts down 30 days from today; a live log imported
and one live answer rated."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from evalharness.checkpoints import find_checkpoint
from evalharness.community import accounts
from evalharness.config import Config
from evalharness.monitor import live
from evalharness.monitor.registry import find_monitor
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.suites import load_suite
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer
from evalharness.testing.simulated import behaviour_for

from .conftest import BASE, FT, MODEL_A, MODEL_B, Lab, write_lab

REVIEWER, PASSWORD = "Lucy Twoyoungmen", "correct horse battery staple"


@dataclass(frozen=True)
class Monitored:
    root: Path
    db: Path
    config_path: Path
    config: Config
    shutdown: date
    url: str


def config_toml(root: Path, url: str) -> str:
    return f"""[store]
path = "{root / 'monitor.duckdb'}"

[run]
checkpoints_dir = "{root / 'checkpoints'}"
suites_dir = "{root / 'suites'}"
monitors_dir = "{root / 'monitors'}"
suites = ["heldout"]
checkpoints = ["stoney-ft"]

[metrics]
enabled = ["chrf++", "exact_match"]

[gate]
guards = {{}}

[providers.openai]
timeout_s = 5.0
max_retries = 1
backoff_s = 0.01
prompt_per_1m = 0.8
completion_per_1m = 3.2

[keys]
OPENAI_API_KEY = ["127.0.0.1"]   # the loopback fake stands in for the provider

[monitors.stoney-ft]
endpoint = "stoney-ft"
suites = ["heldout"]
canary_size = 20
resamples = 200
metrics = ["chrf++", "exact_match"]
"""


def build(root: Path) -> Monitored:
    """Runs the checks against a fake server (stopped afterwards) with a planted OpenAI key."""
    today = datetime.now(timezone.utc).date()
    shutdown = today + timedelta(days=30)
    old_key = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = "sk-test-monitor-PLANTED"
    try:
        with FakeProviderServer(FakeBehaviour(models={FT: None, BASE: shutdown.isoformat()})) as fake:
            config, references = write_lab(root, fake.url)
            config_path = root / "evalharness.toml"
            config_path.write_text(config_toml(root, fake.url), encoding="utf-8")
            start = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=6)
            lab = Lab(root, fake, Store(root / "monitor.duckdb"), config, references, clock=start)
            behaviour_for(MODEL_A, references, 0, fake.behaviour)   # a full run of the endpoint, as the gate makes
            config.metrics.enabled = ["chrf++", "exact_match"]
            Runner(config, lab.store).run(find_checkpoint("stoney-ft", root / "checkpoints"),
                                          load_suite(root / "suites" / "heldout"))
            for model in (MODEL_A, MODEL_A, MODEL_B, MODEL_B, MODEL_B, MODEL_B):
                lab.check(model=model)
            url = fake.url
    finally:
        if old_key is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = old_key
    log = root / "app-log.jsonl"
    log.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"time": f"{today - timedelta(days=1)}T10:00:00Z", "question": "What is 'mîni'?", "answer": "Water.",
         "consent": True},
        {"time": f"{today}T09:00:00Z", "question": "Say 'cold' in Stoney", "answer": "Osni.", "consent": True},
        {"time": f"{today}T09:05:00Z", "question": "Private question", "answer": "Private answer",
         "consent": False},
    ]) + "\n", encoding="utf-8")
    store = Store(root / "monitor.duckdb")
    monitor = find_monitor(config, "stoney-ft")
    live.import_log(config, store, monitor, log)
    accounts.add_reviewer(store, REVIEWER, "reviewer", PASSWORD)
    first = live.queue(store, REVIEWER)[0][-1][0]
    live.save_review(store, REVIEWER, first.live_id, verdict="right", cas_rating=5)
    return Monitored(root, root / "monitor.duckdb", config_path, config, shutdown, url)
