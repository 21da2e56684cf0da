"""The example CI workflow: its store comes from a secret, and with no champion recorded its gate step exits 2
saying how to set one — tested by running the very script the workflow runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from evalharness.store import Store
from evalharness.store.gate import current_champion, list_decisions, set_champion

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "gate-checkpoint.yml"
SCRIPT = ROOT / "scripts" / "ci-gate.sh"


def _ci_gate(lab, store_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (lab.root / "changed.txt").write_text("checkpoints/better.toml\n", encoding="utf-8")
    env = {**os.environ, "EVALHARNESS_DB": store_url, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(["bash", str(SCRIPT), "changed.txt", *extra], cwd=lab.root, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_workflow_reads_its_store_from_a_secret_and_runs_the_gate_script() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "EVALHARNESS_DB: ${{ secrets.EVALHARNESS_STORE_URL }}" in text
    assert "bash scripts/ci-gate.sh changed.txt $RECORD" in text
    assert "actions/cache" not in text  # the store is never kept in an evictable cache


def test_no_champion_recorded_exits_2_and_says_how_to_set_one(planted, store_url: str) -> None:
    lab, _ = planted
    refused = _ci_gate(lab, store_url)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "no champion is recorded" in refused.stderr and "evalharness champion set" in refused.stderr
    store = Store(store_url)
    assert current_champion(store) is None and list_decisions(store) == []  # nothing advanced, nothing recorded
    # once a champion is set, the same step gates and records: `better` advances over it
    set_champion(store, "champ", lab.ckpt("champ").identity, set_by="test", reason="bootstrap")
    recorded = _ci_gate(lab, store_url, "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert current_champion(store).checkpoint_name == "better"


def test_a_missing_secret_fails_the_step(planted) -> None:
    lab, _ = planted
    refused = _ci_gate(lab, "")
    assert refused.returncode == 2 and "EVALHARNESS_STORE_URL" in refused.stderr
