"""One TOML config file (`evalharness.toml`), validated strictly.

Every section is a pydantic model with `extra="forbid"`: a misspelt key is an error naming the key and
the keys allowed there, never a silently ignored setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from .errors import ConfigError
from .judge.settings import JudgeConfig
from .monitor.settings import MonitorConfig
from .providers.settings import ProviderSettings
from .registry import builtin_metric_names, unknown_metrics
from .tomlfile import line_of, read_toml

DEFAULT_CONFIG_FILE = "evalharness.toml"


def _valid_host(host: object) -> bool:
    """A bare host name, IP address or `*.domain` — not a URL."""
    if not isinstance(host, str) or not host.strip() or any(c in host for c in "/ \t@?#"):
        return False
    try:
        return ipaddress.ip_address(host.strip("[]")) is not None
    except ValueError:
        return ":" not in host


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Section):
    """Where results live: `url` is a file path (DuckDB, the default) or a `postgresql://` URL (a team store).
    `path` is the older name for a file path; give one of the two."""

    path: str = "evalharness.duckdb"
    url: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> StoreConfig:
        if self.url is not None and not self.url.strip():
            raise ValueError("url is empty: give a file path or a postgresql:// URL")
        if self.url is not None and "path" in self.model_fields_set:
            raise ValueError("give either url or path, not both (url takes a file path too)")
        return self


class RunConfig(_Section):
    checkpoints: list[str] = Field(default_factory=lambda: ["stoney-base", "stoney-v2", "stoney-v3-lora"])
    suites: list[str] = Field(default_factory=lambda: ["stoney-dictionary-qa", "stoney-narrative-demo"])
    checkpoints_dir: str = "checkpoints"
    suites_dir: str = "suites"
    #: more monitors, one TOML file each (see docs/monitor.md); `[monitors.<name>]` in this file also works
    monitors_dir: str = "monitors"
    batch_size: int = Field(16, ge=1, le=4096)
    concurrency: int = Field(8, ge=1, le=1024)


#: the text metrics scored again on extracted answers by default (those that read the answer's text)


class MetricsConfig(_Section):
    #: registered metric names (`evalharness.registry`); default: every metric this package ships
    enabled: list[str] = Field(default_factory=lambda: list(builtin_metric_names()))
    #: a required metric that was not scored makes the run incomplete
    required: list[str] = Field(default_factory=lambda: ["chrf++"])
    embedding_batch_size: int = Field(64, ge=1, le=4096)
    #: when a suite declares `[extraction]`, these enabled metrics are scored on the extracted answer too
    #: (as `<metric>@extracted`), next to the raw answer's
    on_extracted: list[str] = Field(default_factory=lambda: list(DEFAULT_ON_EXTRACTED))

    @field_validator("enabled", "required", "on_extracted")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        return _known_metric_names(names)


DEFAULT_ON_EXTRACTED: tuple[str, ...] = (
    "chrf",
    "chrf++",
    "chrf_folded",
    "chrf++_folded",
    "exact_match",
    "word_accuracy",
    "edit_similarity",
    "diacritic_error_rate",
    "diacritic_error_share",
    "invented_words",
)


def _known_metric_names(names: list[str]) -> list[str]:
    """Names are checked against the registry's entry points; no metric module is imported for it."""
    from .registry import metric_names

    unknown = unknown_metrics(names)
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; registered: {list(metric_names())}")
    return names


class ReviewerConfig(_Section):
    """`[reviewer]`: the Gemini reviewer chat (see docs/reviewer.md)."""

    model: str = "gemini-2.5-flash"
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    #: None: the SDK's default endpoint (or GOOGLE_GEMINI_BASE_URL, which the SDK reads itself)
    base_url: str | None = None
    timeout_s: float = Field(60.0, gt=0, le=3600)
    #: retries after the first attempt, only before the first streamed chunk (a retry never repeats text)
    retries: int = Field(2, ge=0, le=10)
    retry_initial_delay_s: float = Field(1.0, ge=0, le=60)
    max_output_tokens: int | None = Field(None, ge=1)
    #: earlier turns sent back with each question; the oldest are dropped first
    max_history_chars: int = Field(24_000, ge=0)
    #: characters of passages sent with each question (the delimited data block)
    context_chars: int = Field(24_000, ge=1_000)
    top_k: int = Field(8, ge=1, le=200)
    #: MiniLM reads ~256 word pieces (~1,000–1,200 characters); longer passages are ranked on their start only
    chunk_chars: int = Field(1_200, ge=200)
    latest_runs: int = Field(20, ge=0, le=1000)
    latest_decisions: int = Field(10, ge=0, le=1000)
    #: passage embeddings kept across processes ("" = memory only); relative paths are relative to the config
    embedding_cache: str = "~/.cache/evalharness/reviewer-embeddings.npz"
    #: the project folder whose documents are read (relative to the config file)
    root: str = "."
    #: Markdown/TOML files read, as globs under root; suite items (*.jsonl) are never read
    sources: list[str] = Field(
        default_factory=lambda: [
            "README.md",
            "docs/*.md",
            "suites/*/README.md",
            "suites/*/suite.toml",
            "checkpoints/README.md",
            "rubrics/**/*.toml",
            "rubrics/**/*.md",
            "evalharness/judge/**/*.toml",
        ]
    )

    @field_validator("sources")
    @classmethod
    def _inside_root(cls, patterns: list[str]) -> list[str]:
        outside = [p for p in patterns if Path(p).is_absolute() or ".." in Path(p).parts]
        if outside:
            raise ValueError(f"source globs must stay inside the project root (relative, no '..'): {outside}")
        return patterns


class DashboardConfig(_Section):
    """The community review dashboard: who may look, how sign-in is protected, how fresh reads are."""

    #: false: anyone who can reach the page may read it; writing always needs a sign-in
    require_sign_in_to_view: bool = False
    #: wrong passwords in a row from one source before that source is locked out of that name
    max_failed_attempts: int = Field(5, ge=1, le=100)
    #: first lock length; each further wrong password after a lock doubles it, up to the maximum
    lockout_seconds: float = Field(30.0, gt=0)
    lockout_max_seconds: float = Field(3600.0, gt=0)
    #: sign-in attempts one source (browser address) may make in a window, whatever the names
    source_max_attempts: int = Field(30, ge=1, le=100_000)
    source_window_seconds: float = Field(600.0, gt=0)
    #: behind a reverse proxy on this machine: take the source from the last X-Forwarded-For entry it adds
    trust_forwarded_for: bool = False
    #: a signed-in session that shows no page for this long is signed out
    idle_timeout_minutes: float = Field(30.0, gt=0, le=24 * 60)
    #: host names the server answers (Streamlit's server.allowedHosts): add the public name behind a proxy
    allowed_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1"])
    #: how long a page may show cached numbers before reading the file again
    cache_seconds: float = Field(10.0, ge=0, le=3600)
    #: how long a reviewer's save keeps retrying while a run holds the database
    write_timeout_seconds: float = Field(20.0, gt=0, le=600)
    #: rows per page in Compare and the review queue
    page_size: int = Field(50, ge=5, le=1000)
    #: the metric that orders the review queue (lowest first) and that Compare opens on
    queue_metric: str = "chrf++"
    #: where accepted corrections are published as a narrative-correction suite
    corrections_suite: str = "stoney-narrative-corrections"
    corrections_suite_dir: str = "suites/stoney-narrative-corrections"
    port: int = Field(8501, ge=1, le=65535)
    #: how many people rate each answer before it leaves the review queue (their agreement is measured)
    ratings_per_answer: int = Field(2, ge=1, le=20)
    #: authenticity grades this far apart (or a right next to a wrong) make an answer a disagreement to settle
    disagreement_spread: int = Field(2, ge=1, le=4)
    #: bootstrap resamples behind each agreement interval (seeded, resampling answers)
    agreement_resamples: int = Field(1000, ge=100, le=100_000)
    #: stay signed in across reloads and new tabs for this long (a signed token in a cookie); 0 turns it off
    stay_signed_in_hours: float = Field(12.0, ge=0, le=24 * 30)
    #: the language card whose letters the palette offers and whose folding search uses
    language: str = "sto"
    #: a spoken correction longer than this (in megabytes of WAV; 16 kHz mono is about 2 MB a minute) is refused
    max_recording_mb: float = Field(20.0, gt=0, le=200)


class GateConfig(_Section):
    """The gate's policy (see docs/gate.md). Metric values are on the metric's own scale (chrF 0–100,
    bits per character in bits); "gain" is always oriented so that positive means better."""

    #: metric → minimum gain: the CI lower bound of the gain must exceed it (and Holm-adjusted p ≤ alpha)
    primary: dict[str, float] = Field(default_factory=lambda: {"chrf++": 0.0})
    #: metric → non-inferiority margin: the CI lower bound of the gain must not fall below −margin
    guards: dict[str, float] = Field(default_factory=lambda: {"embedding_cosine": 2.0, "bits_per_char": 0.05})
    #: metric → absolute floor for the candidate (at least, or at most for lower-is-better metrics)
    floors: dict[str, float] = Field(default_factory=dict)
    #: metrics that must be scored in both runs (primary metrics always are); otherwise: incomplete
    required: list[str] = Field(default_factory=lambda: ["chrf++"])
    max_relapses: int = Field(0, ge=0)
    resamples: int = Field(1000, ge=100, le=100_000)
    #: numpy Generator seed (suite i of a multi-suite gate uses seed + i); sacrebleu treats 0 as "unseeded"
    seed: int = Field(12345, ge=1)
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    #: Holm's family: the primary metrics (what the decision tests for improvement) or every metric compared
    holm_family: Literal["primary", "all"] = "primary"
    #: power used for the minimum detectable effect in the report
    power: float = Field(0.8, gt=0.0, lt=1.0)
    convergence_epsilon: float = Field(0.5, ge=0.0)
    convergence_rounds: int = Field(3, ge=1)
    #: re-run sacrebleu's own paired bootstrap on the texts for chrF metrics up to this many items (0: off)
    crosscheck_max_items: int = Field(2000, ge=0)

    @field_validator("primary", "guards", "floors", "required")
    @classmethod
    def _known_metrics(cls, value: Any) -> Any:
        _known_metric_names(list(value))
        return value

    @field_validator("guards")
    @classmethod
    def _margins_non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        negative = [n for n, margin in value.items() if margin < 0]
        if negative:
            raise ValueError(f"non-inferiority margins must be ≥ 0 (got a negative margin for {negative})")
        return value


class LanguageSettings(_Section):
    """`[languages.<code>]`: this machine's lexicon and analyser for a language (kept here, never shipped)."""

    #: the community's word list: text (one word a line), JSONL with "word", or any training file's words
    lexicon: str = ""
    #: optional HFST optimized-lookup analyser (.hfstol)
    analyser: str = ""


class Config(_Section):
    store: StoreConfig = Field(default_factory=StoreConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    reviewer: ReviewerConfig = Field(default_factory=ReviewerConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    #: `[providers.<name>]`: limits, retries, timeouts and prices per provider (see docs/remote.md)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    #: `[judge]`: the LLM judge behind the `cas` metric (see docs/judge.md); off unless enabled
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    #: `[keys]`: API-key variable → hosts it may be sent to (see docs/security.md). A manifest's `api_key_env`
    #: must be listed here; OPENAI_API_KEY / GOOGLE_API_KEY / GEMINI_API_KEY default to their provider's host.
    keys: dict[str, list[str]] = Field(default_factory=dict)
    #: `[monitors.<name>]`: deployed endpoints that `evalharness monitor check` watches (see docs/monitor.md)
    monitors: dict[str, MonitorConfig] = Field(default_factory=dict)
    #: `[languages.<code>]`: where this machine keeps a language's lexicon and analyser (see languages/README.md).
    #: Excluded from dumps: the config stored with each run never names the community's files.
    languages: dict[str, LanguageSettings] = Field(default_factory=dict, exclude=True)
    #: where the config was read from; relative paths in it are relative to this folder
    source: str | None = Field(None, exclude=True)

    @field_validator("keys")
    @classmethod
    def _key_hosts(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for variable, hosts in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
                raise ValueError(f"{variable!r} is not an environment variable name")
            if not hosts or not all(_valid_host(h) for h in hosts):
                raise ValueError(
                    f'[keys] {variable}: give host names only (e.g. ["api.openai.com"]), no scheme, port or path'
                )
        return value

    def base_dir(self) -> Path:
        return Path(self.source).parent if self.source else Path.cwd()

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir() / path

    def store_url(self) -> str:
        """The store's location: `EVALHARNESS_DB` (a path or URL: CI keeps a server URL in a secret there), else
        `[store] url`, else `[store] path`. A relative file path is relative to the config file."""
        location = os.environ.get("EVALHARNESS_DB") or self.store.url or self.store.path
        if location.startswith(("postgresql://", "postgres://")):
            return location
        if os.environ.get("EVALHARNESS_DB"):
            return location
        return str(self.resolve(location))

    def store_path(self) -> Path:
        """The DuckDB file (older callers); a server store has no path: use `store_url()`."""
        return Path(self.store_url())


def _describe(error: ErrorDetails, model: type[BaseModel]) -> tuple[str, str]:
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
    data = read_toml(path, what="config file", error=ConfigError)
    if "source" in data:  # set by the loader itself (where the file is); a user's value would be dropped
        allowed = ", ".join(sorted(k for k in Config.model_fields if k != "source"))
        raise ConfigError(
            f"unknown key; allowed here: {allowed}", path=path, line=line_of(path, ["source"]), field="source"
        )
    try:
        return Config.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        error = exc.errors()[0]
        key, message = _describe(error, Config)
        raise ConfigError(message, path=path, line=line_of(path, error["loc"]), field=key) from None
