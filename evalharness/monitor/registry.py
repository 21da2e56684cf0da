"""Find the declared monitors: `[monitors.<name>]` in the config and `monitors/*.toml` files."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..config import Config, _describe
from ..errors import ConfigError
from ..tomlfile import read_toml
from .settings import MonitorConfig


def load_monitors(config: Config) -> dict[str, MonitorConfig]:
    """Every monitor by name; a name declared twice, or a file that does not validate, is a config error."""
    found: dict[str, MonitorConfig] = {}
    where: dict[str, str] = {}
    for key, monitor in config.monitors.items():
        if monitor.name not in (None, key):
            raise ConfigError(
                f"name '{monitor.name}' differs from the section's name",
                field=f"monitors.{key}.name",
                path=config.source,
                hint="leave name out in [monitors.<name>] sections",
            )
        found[key] = monitor.model_copy(update={"name": key})
        where[key] = f"{config.source or 'the config'} [monitors.{key}]"
    folder = config.resolve(config.run.monitors_dir)
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        monitor = _load_file(path)
        assert monitor.name is not None
        if monitor.name in found:
            raise ConfigError(
                f"monitor '{monitor.name}' is declared twice (also in {where[monitor.name]})", path=path, field="name"
            )
        found[monitor.name] = monitor
        where[monitor.name] = str(path)
    return found


def _load_file(path: Path) -> MonitorConfig:
    data = read_toml(path, what="monitor file", error=ConfigError, hint="see docs/monitor.md")
    try:
        monitor = MonitorConfig.model_validate(data)
    except ValidationError as exc:
        key, message = _describe(exc.errors()[0], MonitorConfig)
        raise ConfigError(message, path=path, field=key) from None
    return monitor if monitor.name else monitor.model_copy(update={"name": path.stem})


def find_monitor(config: Config, name: str) -> MonitorConfig:
    monitors = load_monitors(config)
    if name not in monitors:
        raise ConfigError(
            f"no monitor named '{name}'",
            field="monitor",
            hint=f"declared monitors: {', '.join(sorted(monitors)) or 'none'} "
            "([monitors.<name>] in the config or monitors/<name>.toml)",
        )
    return monitors[name]
