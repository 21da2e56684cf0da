"""The runner end to end on the replay backend: results, failures, resume, rescore, governance."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from evalharness.checkpoints import load_checkpoint
from evalharness.cli import app
from evalharness.config import Config, MetricsConfig
from evalharness.errors import GovernanceError
from evalharness.runner import Runner
from evalharness.store import records
from evalharness.suites import load_suite

from .conftest import TINY_ROWS, write_replay, write_suite

FAST = MetricsConfig(enabled=["chrf", "chrf++", "exact_match", "bits_per_char"], required=["chrf++"])


def _runner(store) -> Runner:
    return Runner(Config(metrics=FAST), store)


def test_replay_run_scores_items_and_records_missing_replies_as_failed(tmp_path: Path, store, tiny_suite: Path) -> None:
    manifest = write_replay(tmp_path / "ck", {"a1": "`keya` means 'turtle'.", "a2": "hayis", "a3": "eye"})
    result = _runner(store).run(load_checkpoint(manifest), load_suite(tiny_suite))
    assert result.status == "incomplete" and result.n_failed == 1 and result.generated == 4
    items = records.run_items(store, result.run_id)
    assert items["a4"][0] == "failed" and "no recorded reply" in items["a4"][2]
    rows = store.query("SELECT item_id, status, score FROM item_scores WHERE run_id = ? AND metric = 'exact_match' "
                       "ORDER BY item_id", [result.run_id])
    assert rows == [("a1", "scored", 100.0), ("a2", "scored", 100.0), ("a3", "scored", 0.0), ("a4", "failed", None)]
    chrf = result.metrics["chrf"]
    assert chrf["status"] == "partial" and chrf["n_scored"] == 3 and chrf["n_unscored"] == 1
    # A backend without log-likelihoods: perplexity is not a number nobody measured.
    bpc = result.metrics["bits_per_char"]
    assert bpc["status"] == "unsupported" and bpc["corpus_score"] is None and "replay" in bpc["reason"]


def test_rerun_resumes_and_generates_only_what_is_missing(tmp_path: Path, store, tiny_suite: Path) -> None:
    replies = {"a1": "`keya` means 'turtle'.", "a2": "hayis", "a3": "eye"}
    manifest = write_replay(tmp_path / "ck", replies)
    first = _runner(store).run(load_checkpoint(manifest), load_suite(tiny_suite))
    again = _runner(store).run(load_checkpoint(manifest), load_suite(tiny_suite))
    assert again.run_id == first.run_id and again.generated == 1  # only the failed item is tried again
    assert store.query("SELECT count(*) FROM run_items WHERE run_id = ?", [first.run_id]) == [(4,)]
    # A complete run is reused as it is: nothing generated, nothing rescored.
    manifest2 = write_replay(tmp_path / "ck2", {**replies, "a4": "The suffix -bi makes a noun."}, name="full")
    done = _runner(store).run(load_checkpoint(manifest2), load_suite(tiny_suite))
    reused = _runner(store).run(load_checkpoint(manifest2), load_suite(tiny_suite))
    assert done.status == "complete" and reused.reused and reused.generated == 0 and reused.run_id == done.run_id
    assert store.query("SELECT count(*) FROM generations") == [(7,)]


def test_rescore_recomputes_from_cache_without_touching_the_backend(tmp_path: Path, store, tiny_suite: Path) -> None:
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in TINY_ROWS})
    first = Runner(Config(metrics=MetricsConfig(enabled=["chrf"], required=[])), store).run(
        load_checkpoint(manifest), load_suite(tiny_suite))

    def no_backend(checkpoint):
        raise AssertionError("rescoring must not build a backend")

    runner = Runner(Config(metrics=MetricsConfig(enabled=["chrf", "chrf++"], required=[])), store,
                    backend_factory=no_backend)
    result = runner.run(load_checkpoint(manifest), load_suite(tiny_suite), rescore=True)
    assert result.run_id == first.run_id and result.generated == 0
    assert result.metrics["chrf++"]["corpus_score"] == pytest.approx(100.0)
    # a changed metric set on a complete run also rescores from the cache
    runner3 = Runner(Config(metrics=MetricsConfig(enabled=["exact_match"], required=[])), store,
                     backend_factory=no_backend)
    assert runner3.run(load_checkpoint(manifest), load_suite(tiny_suite)).metrics["exact_match"]["corpus_score"] == 100.0


def test_governance_refuses_external_generation_before_anything_is_written(tmp_path: Path, store) -> None:
    suite = load_suite(write_suite(tmp_path / "s", TINY_ROWS, uses=("evaluation",)))
    manifest = tmp_path / "remote.toml"
    manifest.write_text('name = "ft"\nbackend = "openai"\nmodel = "ft:gpt-4.1-mini:stoney"\n')
    with pytest.raises(GovernanceError, match="external_generation"):
        _runner(store).run(load_checkpoint(manifest), suite)
    assert not store.exists()  # refused before the store was even opened


def _cli(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, [*args, "--db", str(tmp_path / "cli.duckdb")])


def test_cli_run_json_and_exit_code_for_incomplete(tmp_path: Path, tiny_suite: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["chrf++", "exact_match"]\nrequired = ["chrf++"]\n')
    manifest = write_replay(tmp_path / "ck", {"a1": "x", "a2": "hayis", "a3": "eye", "a4": "noun"})
    ok = _cli(tmp_path, "run", "-c", str(manifest), "-s", str(tiny_suite), "--config", str(config), "--json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["runs"][0]["status"] == "complete" and data["runs"][0]["metrics"]["exact_match"]["corpus_score"] == 25.0
    partial = write_replay(tmp_path / "ck2", {"a1": "x"}, name="partial")
    bad = _cli(tmp_path, "run", "-c", str(partial), "-s", str(tiny_suite), "--config", str(config))
    assert bad.exit_code == 3 and "incomplete" in bad.output


@pytest.mark.parametrize(("manifest_text", "field"), [
    ('name = "x"\nbackend = "vllm"\nmodel = "m"\n', "backend"),
    ('name = "x"\nbackend = "transformers"\nmodel = "nowhere"\n', "model"),
    ('name = "x"\nbackend = "replay"\nmodel = "m"\nreplies = "missing.jsonl"\n', "replies"),
    ('name = "x"\nbackend = "replay"\nmodel = "m"\nreplies = "r.jsonl"\ntemprature = 0\n', "temprature"),
])
def test_bad_manifests_exit_2_and_write_nothing(tmp_path: Path, tiny_suite: Path, manifest_text: str, field: str) -> None:
    manifest = tmp_path / "bad.toml"
    (tmp_path / "r.jsonl").write_text('{"id": "a1", "reply": "x"}\n')
    manifest.write_text(manifest_text)
    result = _cli(tmp_path, "run", "-c", str(manifest), "-s", str(tiny_suite))
    assert result.exit_code == 2
    assert f"field '{field}'" in result.output and "bad.toml" in result.output
    assert not (tmp_path / "cli.duckdb").exists()


def test_bad_suite_line_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", TINY_ROWS)
    with (folder / "items.jsonl").open("a") as fh:
        fh.write('{"id": "a9", "prompt": "p", "reference": 3}\n')
    manifest = write_replay(tmp_path / "ck", {"a1": "x"})
    result = _cli(tmp_path, "run", "-c", str(manifest), "-s", str(folder))
    assert result.exit_code == 2 and "items.jsonl:5" in result.output and "'reference'" in result.output
    assert not (tmp_path / "cli.duckdb").exists()


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[run]\nbatchsize = 4\n")
    result = _cli(tmp_path, "run", "--config", str(config))
    assert result.exit_code == 2 and "run.batchsize" in result.output and "batch_size" in result.output


def test_runs_list_show_and_export(tmp_path: Path, tiny_suite: Path) -> None:
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in TINY_ROWS})
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["chrf++", "exact_match"]\n')
    assert _cli(tmp_path, "run", "-c", str(manifest), "-s", str(tiny_suite), "--config", str(config)).exit_code == 0
    listed = json.loads(_cli(tmp_path, "runs", "list", "--json").output)
    run_id = listed[0]["run_id"]
    shown = json.loads(_cli(tmp_path, "runs", "show", run_id, "--json").output)
    assert {m["metric"] for m in shown["metrics"]} == {"chrf++", "exact_match"}
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"scores.{suffix}"
        assert _cli(tmp_path, "runs", "export", run_id, "--out", str(out)).exit_code == 0
        frame = duckdb.sql(f"SELECT * FROM '{out}'").df()
        assert len(frame) == 8 and set(frame["answer"].dropna()) == {r["reference"] for r in TINY_ROWS}
    assert _cli(tmp_path, "runs", "show", "run-nope").exit_code == 2
