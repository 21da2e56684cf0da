"""One TOML config file (`evalharness.toml`), validated strictly.

Every section is a pydantic model with `extra="forbid"`: a misspelt key is an error naming the key and
the keys allowed there, never a silently ignored setting.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .judge.settings import JudgeConfig
from .metrics import METRIC_NAMES
from .providers.settings import ProviderSettings

DEFAULT_CONFIG_FILE = "evalharness.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Section):
    path: str = "evalharness.duckdb"


class RunConfig(_Section):
    checkpoints: list[str] = Field(default_factory=lambda: ["stoney-base", "stoney-v2", "stoney-v3-lora"])
    suites: list[str] = Field(default_factory=lambda: ["stoney-dictionary-qa", "stoney-narrative-demo"])
    checkpoints_dir: str = "checkpoints"
    suites_dir: str = "suites"
    batch_size: int = Field(16, ge=1, le=4096)
    concurrency: int = Field(8, ge=1, le=1024)


class MetricsConfig(_Section):
    enabled: list[str] = Field(default_factory=lambda: list(METRIC_NAMES))
    #: a required metric that was not scored makes the run incomplete
    required: list[str] = Field(default_factory=lambda: ["chrf++"])
    embedding_batch_size: int = Field(64, ge=1, le=4096)

    @field_validator("enabled", "required")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in METRIC_NAMES]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; allowed: {list(METRIC_NAMES)}")
        return names


class Config(_Section):
    store: StoreConfig = Field(default_factory=StoreConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    #: `[providers.<name>]`: limits, retries, timeouts and prices per provider (see docs/remote.md)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    #: `[judge]`: the LLM judge behind the `cas` metric (see docs/judge.md); off unless enabled
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    #: where the config was read from; relative paths in it are relative to this folder
    source: str | None = Field(None, exclude=True)

    def base_dir(self) -> Path:
        return Path(self.source).parent if self.source else Path.cwd()

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir() / path

    def store_path(self) -> Path:
        """`EVALHARNESS_DB` overrides the file, so tests and CI can point one config at a scratch store."""
        override = os.environ.get("EVALHARNESS_DB")
        return Path(override) if override else self.resolve(self.store.path)


def _describe(error: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        parent: Any = model
        for part in loc[:-1]:
            if get_origin(parent) is dict:  # a `dict[str, Section]` field: the part is the user's key
                parent = get_args(parent)[1]
                continue
            field_info = parent.model_fields.get(part) if hasattr(parent, "model_fields") else None
            parent = field_info.annotation if field_info is not None else None
        allowed = sorted(parent.model_fields) if hasattr(parent, "model_fields") else []
        message = f"unknown key; allowed here: {', '.join(allowed)}"
    return key, message


def load_config(path: str | Path | None = None) -> Config:
    """Read the given file, else `./evalharness.toml` if present, else the built-in defaults."""
    if path is None:
        candidate = Path(DEFAULT_CONFIG_FILE)
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config file not found", path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML ({exc})", path=path) from None
    try:
        return Config.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        key, message = _describe(exc.errors()[0], Config)
        raise ConfigError(message, path=path, field=key) from None
