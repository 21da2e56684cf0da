"""A gate report is published (CI artefact, job summary): replies stay in it only where the suite allows it."""

from __future__ import annotations

import json

from .labkit import Lab
from .test_cli import cli, gate_args
from .test_gate import _narrative_lab


def _relapsed(lab: Lab, monkeypatch, tmp_name: str) -> list[dict]:
    out = lab.root / tmp_name
    code = cli(monkeypatch, *gate_args(lab, "cand", "--champion", "champ", "--suite", "corrections",
                                       "--report-json", str(out)))
    assert code == 1  # the relapse reverts
    return json.loads(out.read_text(encoding="utf-8"))["relapses"]["relapsed"]


def test_json_report_carries_replies_only_for_suites_allowing_publication(lab: Lab, monkeypatch) -> None:
    _narrative_lab(lab, relapse_on="c007")
    [item] = _relapsed(lab, monkeypatch, "closed.json")  # the lab's suite allows only evaluation
    disallowed = next(json.loads(line) for line in (lab.suites["corrections"] / "items.jsonl").open(encoding="utf-8")
                      if '"c007"' in line)["disallowed"]
    assert item["item_id"] == "c007" and item["candidate_reply"] != disallowed
    assert "withheld" in item["candidate_reply"]
    toml = lab.suites["corrections"] / "suite.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('["evaluation"]', '["evaluation", "publication"]'),
                    encoding="utf-8")
    [item] = _relapsed(lab, monkeypatch, "open.json")
    assert item["candidate_reply"] == disallowed
