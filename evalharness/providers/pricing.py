"""Prices (from the config) → the cost of calls and of runs.

The price of a model is looked up in `[providers.<name>.prices."<model>"]`, else the provider's
`prompt_per_1m`/`completion_per_1m`. A cost is only reported when every call that answered reported its
token usage and a price is known for every model used; otherwise it is None with the reason — an unknown
cost is never shown as $0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import Store
from ..store.audit import usage_by_model
from .settings import ProviderSettings, provider_settings


@dataclass(frozen=True)
class Price:
    prompt_per_1m: float
    completion_per_1m: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt_per_1m + completion_tokens * self.completion_per_1m) / 1_000_000


def price_for(settings: ProviderSettings, model: str) -> Price | None:
    if model in settings.prices:
        p = settings.prices[model]
        return Price(p.prompt_per_1m, p.completion_per_1m)
    if settings.prompt_per_1m is not None and settings.completion_per_1m is not None:
        return Price(settings.prompt_per_1m, settings.completion_per_1m)
    return None


@dataclass(frozen=True)
class CostSummary:
    """Spend of a set of calls. `usd` is None (with `reason`) when it cannot be known."""

    calls: int
    ok_calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float | None
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "ok_calls": self.ok_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "usd": self.usd,
            "reason": self.reason,
        }


def calls_cost(
    store: Store, providers: dict[str, ProviderSettings], *, run_id: str, purposes: tuple[str, ...] | None = None
) -> CostSummary:
    """Cost of every audited call made for `run_id` (optionally only some purposes), retries included."""
    rows = usage_by_model(store, run_id=run_id, purposes=purposes)
    calls = ok = prompt = completion = 0
    usd: float | None = 0.0
    reasons: list[str] = []
    for provider, model, n, n_ok, no_usage, p_tok, c_tok in rows:
        calls, ok, prompt, completion = calls + n, ok + n_ok, prompt + int(p_tok), completion + int(c_tok)
        price = price_for(provider_settings(providers, provider), model)
        if price is None:
            reasons.append(
                f"no price for {provider} model '{model}' (set [providers.{provider}] prompt_per_1m and "
                f'completion_per_1m, or [providers.{provider}.prices."{model}"])'
            )
        if no_usage:
            reasons.append(f"{no_usage} answered call(s) to '{model}' reported no token usage")
        if price is not None and not no_usage and usd is not None:
            usd += price.cost(int(p_tok), int(c_tok))
    if reasons:
        usd = None
    return CostSummary(
        calls=calls,
        ok_calls=ok,
        prompt_tokens=prompt,
        completion_tokens=completion,
        usd=usd,
        reason="; ".join(reasons) or None,
    )
