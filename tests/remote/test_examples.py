"""The example manifests and the documented config load as written (documentation that cannot rot silently)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.config import load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "checkpoints" / "examples").glob("*.toml"))


def test_there_is_an_example_for_each_remote_backend():
    backends = {load_checkpoint(p).backend for p in EXAMPLES}
    assert {"openai", "gemini", "openai_compatible"} <= backends


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_manifest_loads(path: Path):
    checkpoint = load_checkpoint(path)
    assert checkpoint.is_external
    if checkpoint.completions_logprobs:
        assert checkpoint.backend == "openai_compatible" and checkpoint.base_url


def test_documented_config_is_valid(tmp_path: Path):
    text = (ROOT / "docs" / "remote.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if b.startswith("# evalharness.toml")]
    assert len(blocks) == 1
    path = tmp_path / "evalharness.toml"
    path.write_text(blocks[0], encoding="utf-8")
    config = load_config(path)
    assert config.providers["vllm-lab"].concurrency == 64
    model = "ft:gpt-4.1-mini-2025-04-14:stoney-project:stoney-v3:AbC123xy"
    assert config.providers["openai"].prices[model].completion_per_1m == 3.20
