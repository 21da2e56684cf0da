"""Monitors declared in the config and in monitors/*.toml; bad declarations name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.config import load_config
from evalharness.errors import ConfigError
from evalharness.monitor.registry import find_monitor, load_monitors


def _config(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "evalharness.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_config_sections_and_files_both_declare_monitors(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, '[monitors.app]\nendpoint = "stoney-ft"\nsuites = ["heldout"]\n'))
    (tmp_path / "monitors").mkdir()
    (tmp_path / "monitors" / "vllm.toml").write_text(
        'endpoint = "stoney-vllm"\nsuites = ["heldout"]\ncanary_size = 30\n[thresholds]\nalpha = 0.01\n',
        encoding="utf-8")
    monitors = load_monitors(config)
    assert sorted(monitors) == ["app", "vllm"]
    assert monitors["vllm"].canary_size == 30 and monitors["vllm"].thresholds.alpha == 0.01
    assert monitors["app"].thresholds.retirement_horizon_days == 60 and monitors["app"].canary_size == 50


def test_an_unknown_key_in_a_monitor_file_names_file_and_key(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path))
    (tmp_path / "monitors").mkdir()
    bad = tmp_path / "monitors" / "bad.toml"
    bad.write_text('endpoint = "x"\nsuites = ["s"]\n[thresholds]\nalpah = 0.1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_monitors(config)
    assert "bad.toml" in str(err.value) and "thresholds.alpah" in str(err.value)


def test_a_name_declared_twice_and_a_primary_not_scored_are_errors(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, '[monitors.app]\nendpoint = "a"\nsuites = ["s"]\n'))
    (tmp_path / "monitors").mkdir()
    (tmp_path / "monitors" / "app.toml").write_text('endpoint = "b"\nsuites = ["s"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="declared twice"):
        load_monitors(config)
    with pytest.raises(ConfigError, match="primary metric 'chrf'"):
        load_config(_config(tmp_path, '[monitors.x]\nendpoint = "a"\nsuites = ["s"]\nmetrics = ["exact_match"]\n'
                                      'primary = "chrf"\n'))
    with pytest.raises(ConfigError, match="cannot score a check"):
        load_config(_config(tmp_path, '[monitors.x]\nendpoint = "a"\nsuites = ["s"]\nmetrics = ["cas"]\n'))
    with pytest.raises(ConfigError, match="no monitor named 'nope'"):
        find_monitor(load_config(_config(tmp_path)), "nope")
