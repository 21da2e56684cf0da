"""Governance follows the suite's current suite.toml: narrowing sticks, publishing never widens, training and
publication are enforced wherever data is exported or published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.community import exports, overview, reviews
from evalharness.community.accounts import add_reviewer
from evalharness.community.publish import publish_corrections
from evalharness.config import Config
from evalharness.errors import GovernanceError
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.store.governance import changes
from evalharness.suites import load_suite, meta_to_toml
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer

from . import demo_db

WIDE = ["evaluation", "external_generation", "external_judging", "training", "publication"]
ADMIN, PASSWORD = "Elder Admin", "hûji-ethen-2026-long"


def _set_uses(folder: Path, uses: list[str]) -> None:
    """What a community does: edit allowed_uses in the suite's suite.toml."""
    suite = load_suite(folder)
    meta = suite.meta.model_copy(update={"governance": suite.meta.governance.model_copy(
        update={"allowed_uses": uses})})
    (folder / "suite.toml").write_text(meta_to_toml(meta), encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path) -> dict:
    """A source suite allowing everything, a replay run on it, one accepted correction; nothing shared."""
    root = tmp_path / "world"
    store = Store(root / "store.duckdb")
    dictionary, narrative = demo_db.suites(root)
    for suite in (dictionary, narrative):
        _set_uses(root / "suites" / suite.name, WIDE)
    narrative = load_suite(root / "suites" / narrative.name)
    ckpt = demo_db.checkpoint(root, "stoney-base", [narrative])
    run = Runner(demo_db.config(), store).run(ckpt, narrative)
    add_reviewer(store, ADMIN, "admin", PASSWORD)
    target = reviews.target(store, run.run_id, "nc-01")
    saved = reviews.save_review(store, ADMIN, target, narrative="'hûji ethen' means hurry up, said kindly.")
    reviews.review_correction(store, ADMIN, saved.correction_id, "accepted")
    return {"root": root, "store": store, "source": root / "suites" / narrative.name, "run": run,
            "published": root / "published", "suites_dir": root / "suites"}


def _publish(world: dict, **kw) -> object:
    return publish_corrections(world["store"], world["published"], name="corrections", published_by=ADMIN,
                               search_dirs=[world["suites_dir"]], **kw)


def test_store_copy_of_governance_follows_suite_toml_on_every_load(world):
    store, source = world["store"], world["source"]
    _set_uses(source, ["evaluation"])
    # Before any new load the Overview already reads the file as it is now …
    shown = {s.name: s for s in overview.suites(store)}["stoney-narrative-mini"]
    assert shown.allowed_uses == ("evaluation",)
    assert "external_generation" in shown.denied_uses
    # … and a load (a run) refreshes the store's copy itself.
    ckpt = demo_db.checkpoint(world["root"], "stoney-v2", [load_suite(source)])
    Runner(demo_db.config(), store).run(ckpt, load_suite(source))
    [meta] = [json.loads(m) for m, in store.query("SELECT meta_json FROM suites WHERE name = 'stoney-narrative-mini'")]
    assert meta["governance"]["allowed_uses"] == ["evaluation"]


def test_narrowed_source_stops_external_run_of_published_corrections(world, monkeypatch):
    _set_uses(world["source"], ["evaluation"])
    result = _publish(world)
    assert result.suite.meta.governance.allowed_uses == ["evaluation"]
    published = load_suite(world["published"])
    assert published.meta.governance.allowed_uses == ["evaluation"]
    with FakeProviderServer(FakeBehaviour()) as fake:
        from evalharness.checkpoints import Checkpoint

        ckpt = Checkpoint(name="vllm", backend="openai_compatible", model="m", base_url=fake.url + "/v1")
        with pytest.raises(GovernanceError, match="external_generation"):
            Runner(Config.model_validate({"metrics": {"enabled": ["chrf"], "required": ["chrf"]}}),
                   world["store"]).run(ckpt, published)
        assert fake.stats.requests == 0


def test_publishing_never_widens_a_narrowed_corrections_suite(world):
    store = world["store"]
    first = _publish(world)
    assert "external_generation" in first.suite.meta.governance.allowed_uses
    _set_uses(world["published"], ["evaluation"])  # the community narrows the corrections suite itself
    run = world["run"]
    target = reviews.target(store, run.run_id, "nc-02")
    saved = reviews.save_review(store, ADMIN, target, narrative="The word is îjadaṯẖe, the broom.")
    reviews.review_correction(store, ADMIN, saved.correction_id, "accepted")
    second = _publish(world)
    assert second.changed and second.suite.meta.version == "1.1.0"
    assert load_suite(world["published"]).meta.governance.allowed_uses == ["evaluation"]
    assert changes(store) == []
    # Only an admin's explicit flag widens, and it is logged with who and what.
    _set_uses(world["published"], ["evaluation"])
    third = _publish(world, allow_widening=True)
    assert sorted(third.suite.meta.governance.allowed_uses) == sorted(WIDE)
    [event] = changes(store, "corrections")
    assert event["action"] == "widen" and event["actor"] == ADMIN
    assert event["before_uses"] == ["evaluation"] and "external_generation" in event["after_uses"]


def test_unreadable_source_suite_allows_nothing(world):
    (world["source"] / "suite.toml").unlink()
    result = _publish(world)
    assert result.suite.meta.governance.allowed_uses == []
    assert "Nothing allowed" in result.suite.meta.governance.notes


def test_training_exports_need_training_from_every_source(world, tmp_path):
    store = world["store"]
    _set_uses(world["source"], ["evaluation", "publication"])
    for fmt in exports.FORMATS:
        with pytest.raises(GovernanceError, match="'training'"):
            exports.export_file(store, fmt, tmp_path / f"{fmt}.jsonl", search_dirs=[world["suites_dir"]])
        assert not (tmp_path / f"{fmt}.jsonl").exists()
    _set_uses(world["source"], ["evaluation", "training"])
    assert exports.export_file(store, "triplets", tmp_path / "t.jsonl", search_dirs=[world["suites_dir"]]) == 1


def test_cli_export_and_split_refuse_without_training(world, tmp_path):
    _set_uses(world["source"], ["evaluation"])
    runner = CliRunner()
    out = tmp_path / "chat.jsonl"
    result = runner.invoke(app, ["corrections", "export", "-f", "openai-chat", "-o", str(out),
                                 "--db", str(world["store"].path)])
    assert result.exit_code == 2 and "training" in result.output and not out.exists()
    train = tmp_path / "train.jsonl"
    result = runner.invoke(app, ["suites", "split", str(world["source"]), "--test-size", "1", "--out-test",
                                 str(tmp_path / "heldout"), "--out-train", str(train)])
    assert result.exit_code == 2 and "training" in result.output
    assert not train.exists() and not (tmp_path / "heldout").exists()
