"""The `[providers.<name>]` config section: how hard to drive one provider, and what it costs.

A section is looked up by a checkpoint's `provider` (default: its backend name), so two vLLM servers
can have different limits. Unset limits mean "no limit of that kind"; an unset price means the cost is
unknown (reported as such, never as 0).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelPrice(BaseModel):
    """US dollars per million tokens for one model."""

    model_config = ConfigDict(extra="forbid")
    prompt_per_1m: float = Field(ge=0.0)
    completion_per_1m: float = Field(ge=0.0)


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: requests in flight at once; None → the run's `[run] concurrency`
    concurrency: int | None = Field(None, ge=1, le=1024)
    #: requests per minute; None → unlimited
    rpm: float | None = Field(None, gt=0)
    #: tokens (prompt + completion) per minute; None → unlimited
    tpm: float | None = Field(None, gt=0)
    #: retries after the first attempt, for 429, 5xx, timeouts, connection errors and malformed replies
    max_retries: int = Field(6, ge=0, le=50)
    #: per-request timeout (connect + read)
    timeout_s: float = Field(60.0, gt=0, le=3600)
    #: an attempt still waiting after this many times the recent 95th-percentile latency of successful
    #: attempts (and at least stall_min_s) is stalled: abandoned and sent again, once per item (0: off)
    stall_factor: float = Field(8.0, ge=0, le=1000)
    stall_min_s: float = Field(2.0, gt=0, le=3600)
    #: first backoff delay; doubles each retry (full jitter), capped by max_backoff_s
    backoff_s: float = Field(0.5, ge=0, le=60)
    max_backoff_s: float = Field(30.0, ge=0, le=600)
    #: the longest Retry-After we honour as given; a longer one is capped (and the call retried then)
    max_retry_after_s: float = Field(120.0, ge=0, le=3600)
    #: default price for every model of this provider (per 1M tokens); `prices` overrides per model
    prompt_per_1m: float | None = Field(None, ge=0.0)
    completion_per_1m: float | None = Field(None, ge=0.0)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)


def provider_settings(providers: dict[str, ProviderSettings], name: str) -> ProviderSettings:
    """The section for `name`, or the defaults when the config has none."""
    return providers.get(name) or ProviderSettings()
