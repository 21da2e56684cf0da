"""What the main job shows: an overall bar with the time left over every run, set-up phases, and a short
verdict that ends the gate's output (the full report goes to the files)."""

from __future__ import annotations

import sys

import pytest
from rich.progress import Progress

from evalharness.cli import main
from evalharness.cli.progress import RichProgress
from evalharness.runner import Runner

from .labkit import Lab


class Recording(RichProgress):
    def __init__(self, progress: Progress, **kw) -> None:
        super().__init__(progress, **kw)
        self.phases: list[str] = []
        self.overall_seen: list[float] = []

    def start(self, description: str, total: int, *, counts: bool = False) -> None:
        self.phases.append(description)
        super().start(description, total, counts=counts)

    def advance(self, n: int = 1) -> None:
        super().advance(n)
        self.overall_seen.append(self.progress.tasks[0].completed)


def test_the_overall_bar_follows_generation_across_runs(planted) -> None:
    lab, items = planted
    config, store = lab.load()
    suite = lab.loaded_suites()[0]
    with Progress(disable=True) as bars:
        progress = Recording(bars, total_items=2 * len(items), runs=2)
        runner = Runner(config, store, progress=progress)
        runner.run(lab.ckpt("champ"), suite)
        assert bars.tasks[0].completed == len(items)
        runner.run(lab.ckpt("better"), suite)
        overall = bars.tasks[0]
        assert overall.completed == overall.total == 2 * len(items)
    # the overall bar moved item by item while the second checkpoint generated, not only at the end
    assert len(items) + 1 in progress.overall_seen and 2 * len(items) - 1 in progress.overall_seen
    assert "champ: loading the replay backend" in progress.phases
    assert "overall · run 2 of 2" in overall.description


def test_gate_with_report_files_ends_with_a_short_verdict(planted, monkeypatch, capsys, tmp_path) -> None:
    lab: Lab = planted[0]
    md = tmp_path / "gate.md"
    monkeypatch.setattr(sys, "argv", ["evalharness", "gate", "--candidate", "better", "--candidate", "same",
                                      "--champion", "champ", "--config", str(lab.root / "evalharness.toml"),
                                      "--report-md", str(md)])
    with pytest.raises(SystemExit):
        main()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) <= 8, out  # the ~130-line report is in the file, not on the screen
    assert out[0] == "Gate verdict:"
    assert out[1].startswith("  1. better vs champ: ADVANCE — chrf++ (primary): gain +")
    assert out[2].startswith("  2. same vs better: REVERT")
    assert "Trial run (not recorded)" in out[3] and out[-1] == f"Full report: {md}"
    assert "### Metrics" in md.read_text(encoding="utf-8")
