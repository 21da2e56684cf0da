"""Another package adds a backend and a metric through entry points — no edit to evalharness — and both work
from the CLI. The built-ins are registered the same way, and each entry agrees with what it builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evalharness import registry
from evalharness.config import Config
from evalharness.registry import MetricSetup

from .conftest import TINY_ROWS, write_suite

PLUGIN = '''
"""A third-party plugin: an `echo` backend and a `mentions_reference` metric."""
from evalharness.backends.base import Generation
from evalharness.metrics.base import ItemStat, MeanMetric
from evalharness.registry import BackendEntry, MetricEntry


class EchoBackend:
    name = "echo"
    supports_loglikelihood = False
    unsupported_reason = "echo repeats its prompt; it has no model"

    def __init__(self, checkpoint):
        self.prefix = checkpoint.options.get("prefix", "")

    def generate(self, requests):
        for r in requests:
            yield Generation(item_id=r.item_id, status="ok", text=self.prefix + r.prompt)

    def loglikelihood(self, requests):
        raise RuntimeError(self.unsupported_reason)

    def close(self):
        pass


class MentionsReference(MeanMetric):
    name = "mentions_reference"
    stat_names = ("mentions", "n")

    def signature(self):
        return "mentions_reference|substring|scale:100"

    def item_stats(self, inputs):
        return [ItemStat("failed", None, "no answer") if i.hypothesis is None
                else ItemStat.scored(float(i.item.reference in i.hypothesis), 1.0) for i in inputs]


BACKEND = BackendEntry(name="echo", description="answers with its own prompt",
                       factory=lambda checkpoint, context: EchoBackend(checkpoint),
                       identity_parts=lambda checkpoint: {"prefix": checkpoint.options.get("prefix", "")},
                       loglikelihood_unsupported=lambda checkpoint: EchoBackend.unsupported_reason)
METRIC = MetricEntry(name="mentions_reference", label="mentions the reference", higher_is_better=True,
                     stat_names=("mentions", "n"), factory=lambda setup: MentionsReference(),
                     description="share of answers that contain the reference verbatim")
MISNAMED = MetricEntry(name="something_else", label="x", higher_is_better=True, stat_names=("a",),
                       factory=lambda setup: MentionsReference())
'''

ENTRY_POINTS = """
[evalharness.backends]
echo = evalharness_echo_plugin:BACKEND

[evalharness.metrics]
mentions_reference = evalharness_echo_plugin:METRIC
misnamed = evalharness_echo_plugin:MISNAMED
"""


def _install_plugin(site: Path) -> None:
    """What `pip install` leaves on the path: the module and its dist-info with the entry points."""
    site.mkdir(parents=True)
    (site / "evalharness_echo_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "evalharness_echo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evalharness-echo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


def _cli(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "evalharness", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


ECHO_ROWS = [
    {"id": "e1", "prompt": "Repeat after me: hayis", "reference": "hayis", "direction": "en-sto"},
    {"id": "e2", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
]


def test_a_plugin_package_adds_a_backend_and_a_metric_used_from_the_cli(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    suite = write_suite(tmp_path / "suites" / "echo", ECHO_ROWS)
    manifest = tmp_path / "echo.toml"
    manifest.write_text('name = "echo-1"\nbackend = "echo"\nmodel = "none"\n[options]\nprefix = "You asked: "\n')
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["mentions_reference", "exact_match"]\nrequired = []\n')
    db = str(tmp_path / "x.duckdb")
    done = _cli(["run", "-c", str(manifest), "-s", str(suite), "--config", str(config), "--db", db, "--json"],
                tmp_path, site)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)["runs"][0]
    assert run["status"] == "complete" and run["generated"] == len(ECHO_ROWS)
    mentions = run["metrics"]["mentions_reference"]
    # the echo repeats the prompt: e1's prompt contains its reference, e2's does not
    assert mentions["status"] == "scored" and mentions["n_scored"] == 2 and mentions["corpus_score"] == 50.0
    assert run["metrics"]["exact_match"]["corpus_score"] == 0.0
    assert mentions["signature"] == "mentions_reference|substring|scale:100"
    answers = [row[0] for row in _query(db, "SELECT text FROM generations ORDER BY text")]
    assert all(a.startswith("You asked: ") for a in answers)
    # the table labels the plugin's metric by its entry's label
    shown = _cli(["run", "-c", str(manifest), "-s", str(suite), "--config", str(config), "--db", db],
                 tmp_path, site)
    assert shown.returncode == 0 and "mentions the reference" in shown.stdout and "reused" in shown.stdout


def test_without_the_plugin_its_names_are_unknown_with_the_known_ones_listed(tmp_path: Path) -> None:
    manifest = tmp_path / "echo.toml"
    manifest.write_text('name = "echo-1"\nbackend = "echo"\nmodel = "none"\n')
    suite = write_suite(tmp_path / "suites" / "tiny", TINY_ROWS)
    done = _cli(["run", "-c", str(manifest), "-s", str(suite), "--db", str(tmp_path / "x.duckdb")], tmp_path,
                tmp_path / "nowhere")
    assert done.returncode == 2
    assert "unknown backend 'echo'" in done.stderr and "replay" in done.stderr and "transformers" in done.stderr


def test_a_misnamed_entry_is_refused_naming_the_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["misnamed"]\nrequired = []\n')
    suite = write_suite(tmp_path / "suites" / "tiny", TINY_ROWS)
    manifest = tmp_path / "echo.toml"
    manifest.write_text('name = "echo-1"\nbackend = "echo"\nmodel = "none"\n')
    done = _cli(["run", "-c", str(manifest), "-s", str(suite), "--config", str(config), "--db",
                 str(tmp_path / "x.duckdb")], tmp_path, site)
    assert done.returncode == 2 and "misnamed" in done.stderr and "something_else" in done.stderr


def _query(db: str, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("name", registry.builtin_metric_names())
def test_every_builtin_metric_entry_agrees_with_the_metric_it_builds(name: str) -> None:
    entry = registry.metric(name)
    built = entry.factory(MetricSetup(Config()))
    assert (built.name, built.higher_is_better, tuple(built.stat_names)) == \
        (entry.name, entry.higher_is_better, entry.stat_names)
    assert entry.label and entry.needs


@pytest.mark.parametrize("name", registry.backend_names())
def test_every_builtin_backend_is_registered_through_its_entry_point(name: str) -> None:
    entry = registry.backend(name)
    assert entry.name == name and entry.description and callable(entry.factory)
