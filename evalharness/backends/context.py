"""What a backend is given by the run it serves (remote backends use it; local ones may ignore it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..providers.settings import ProviderSettings
    from ..store import Store


@dataclass(frozen=True)
class BackendContext:
    """Provider settings and concurrency from the config; the store for the audit log (without one, calls are
    not audited); the run and suite the calls are made for; the batch size for local models."""

    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    concurrency: int = 8
    batch_size: int = 16
    store: Store | None = None
    run_id: str | None = None
    suite_hash: str | None = None
    #: `[keys]` from the config: which key variable may go to which host
    key_hosts: dict[str, list[str]] = field(default_factory=dict)
    #: ask for the generated tokens' log-probabilities where the API offers them (OpenAI-style chat); a monitor
    #: check does, a run does not (it would change nothing it measures and cost bandwidth)
    want_logprobs: bool = False
