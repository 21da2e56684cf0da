"""Monitor declarations: `[monitors.<name>]` in the config, or one `monitors/<name>.toml` file each.

Validated as strictly as the rest of the config: an unknown key is an error naming the keys allowed.
Secrets (a webhook URL carries a token; SMTP passwords) are never written here, only the names of the
environment variables that hold them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: metrics a check can score: text metrics on fresh answers (no judge calls, no reference likelihoods)
CHECK_METRICS = ("chrf", "chrf++", "embedding_cosine", "exact_match", "word_accuracy", "edit_similarity")
#: the range of each metric's score, which bounds how far a canary score can drop (the drift stream needs it)
SCORE_RANGE: dict[str, tuple[float, float]] = {
    "chrf": (0.0, 100.0),
    "chrf++": (0.0, 100.0),
    "exact_match": (0.0, 100.0),
    "word_accuracy": (0.0, 100.0),
    "edit_similarity": (0.0, 100.0),
    "embedding_cosine": (-100.0, 100.0),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdSettings(_Section):
    """When a check or a series of checks is an alarm. See docs/monitor.md for what each one means."""

    #: the drift alarm's false-alarm probability, over all checks ever run against one baseline
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    #: tolerated mean share of canary answers that differ from the baseline's (temperature 0 only); set it above
    #: the endpoint's own nondeterminism, which `monitor status` reports
    changed_share: float = Field(0.10, gt=0.0, lt=1.0)
    #: tolerated mean drop of the primary metric below the baseline, in the metric's points
    score_drop: float = Field(3.0, gt=0.0)
    #: an answer whose text is unchanged but whose mean token log-probability moved more than this (nats per
    #: token) counts as changed, where the endpoint returns log-probabilities
    logprob_tolerance: float = Field(0.05, gt=0.0)
    #: share of canary items that failed above which a check raises the "errors" alarm
    max_error_rate: float = Field(0.2, ge=0.0, le=1.0)
    #: warn this many days before the model (or a fine-tune's base model) shuts down
    retirement_horizon_days: int = Field(60, ge=0, le=3650)
    #: the checks after the baseline that establish the endpoint's answers and canary score: an item whose baseline
    #: answer most of them contradict with one other text was a nondeterministic one-off and is replaced — unless
    #: more than half the items would be (that is a change, not noise)
    reference_checks: int = Field(5, ge=0, le=100)
    #: consecutive checks within tolerance that end a drift alarm (a new test starts after them)
    recover_after: int = Field(3, ge=1, le=100)
    #: the stake follows the recent checks with this half-life (in checks)
    half_life: float = Field(1.0, gt=0.0, le=50.0)


class AlertSettings(_Section):
    """Where alerts go. Only state changes are sent (and reminders while an alarm stays on)."""

    #: environment variable holding the webhook URL (Slack incoming webhook or anything that takes its JSON)
    webhook_url_env: str | None = None
    email_to: list[str] = Field(default_factory=list)
    email_from: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user_env: str | None = None
    smtp_password_env: str | None = None
    #: annotations + job summary: "auto" = when running in GitHub Actions (GITHUB_ACTIONS=true)
    github: bool | Literal["auto"] = "auto"
    #: days between reminders while an alarm stays on (0: no reminders)
    reminder_days: float = Field(7.0, ge=0.0)
    timeout_s: float = Field(15.0, gt=0.0, le=300.0)


class LiveSettings(_Section):
    """Conversation logs of the deployed app → live answers for reviewers (`monitor import-log`)."""

    #: import answers whose record gives no consent — only where the community's agreement covers reviewing every
    #: logged conversation
    review_without_consent: bool = False
    #: at most this many answers per day of the log (a seeded sample of the day's answers)
    per_day: int = Field(20, ge=1, le=100_000)
    #: at most this many answers per import
    max_items: int = Field(200, ge=1, le=1_000_000)
    seed: int = 7


class MonitorConfig(_Section):
    """One monitored endpoint."""

    #: the key in [monitors.<name>] or the file's `name`
    name: str | None = None
    #: the checkpoint manifest of the deployed model (a name in checkpoints_dir or a path)
    endpoint: str
    #: held-out suites the canary is drawn from (names in suites_dir or folders)
    suites: list[str] = Field(min_length=1)
    canary_size: int = Field(50, ge=1, le=100_000)
    seed: int = 13
    #: "champion": the champion's accepted runs (must be this endpoint's checkpoint); "first_check"; "auto": the
    #: champion's runs when the champion is this endpoint, else the first check
    baseline: Literal["auto", "champion", "first_check"] = "auto"
    metrics: list[str] = Field(default_factory=lambda: ["chrf++", "chrf", "edit_similarity", "exact_match"])
    #: the metric whose drop below the baseline is watched by the drift alarm
    primary: str = "chrf++"
    #: ask the endpoint for token log-probabilities (OpenAI-style chat endpoints): "auto" uses them when returned
    logprobs: Literal["auto", "off"] = "auto"
    #: paired-bootstrap resamples of the per-check comparison with the baseline (the gate's statistics)
    resamples: int = Field(1000, ge=100, le=100_000)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)

    @field_validator("metrics")
    @classmethod
    def _check_metrics(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in CHECK_METRICS]
        if unknown:
            raise ValueError(f"metric(s) {unknown} cannot score a check; allowed: {list(CHECK_METRICS)}")
        if not names:
            raise ValueError("a check needs at least one metric")
        return names

    @model_validator(mode="after")
    def _primary_is_scored(self) -> MonitorConfig:
        if self.primary not in self.metrics:
            raise ValueError(f"primary metric '{self.primary}' must be one of this monitor's metrics {self.metrics}")
        return self
