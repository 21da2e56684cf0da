"""The `[gate]` policy: defaults that fit the bundled demo, and config errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.config import Config, load_config
from evalharness.errors import ConfigError
from evalharness.gate.policy import check_policy

ROOT = Path(__file__).resolve().parents[2]


def test_the_built_in_and_bundled_policies_are_valid() -> None:
    check_policy(Config())
    bundled = load_config(ROOT / "evalharness.toml")
    check_policy(bundled)
    assert bundled.gate == Config().gate   # the bundled file spells out the defaults, nothing else


def _config(tmp_path: Path, gate: str, enabled: str = '["chrf++", "chrf", "exact_match"]') -> Config:
    path = tmp_path / "evalharness.toml"
    path.write_text(f"[metrics]\nenabled = {enabled}\n\n[gate]\n{gate}", encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize("gate, field, text", [
    ('primary = {}\nguards = {}\n', "gate.primary", "at least one primary metric"),
    ('primary = { chrf = 0.0 }\nguards = { chrf = 1.0 }\nrequired = []\n', "gate.guards", "both primary and guard"),
    ('primary = { "chrf++" = 0.0 }\nguards = { bits_per_char = 0.1 }\n', "gate.guards", "not in metrics.enabled"),
])
def test_policy_errors_name_the_key(tmp_path: Path, gate: str, field: str, text: str) -> None:
    config = _config(tmp_path, gate)
    with pytest.raises(ConfigError) as exc:
        check_policy(config)
    assert exc.value.field == field and text in str(exc.value)


@pytest.mark.parametrize("gate, field", [
    ('guards = { exact_match = -1.0 }\n', "gate.guards"),
    ('seed = 0\n', "gate.seed"),
    ('resamples = 10\n', "gate.resamples"),
    ('gaurds = {}\n', "gate.gaurds"),
])
def test_invalid_values_fail_on_load(tmp_path: Path, gate: str, field: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _config(tmp_path, gate)
    assert exc.value.field == field
