"""Simulated deployed models for the fake provider server: one that answers the same way every check (with
a seeded touch of the nondeterminism real temperature-0 endpoints show), and others to switch to silently.

A model answers an item with its reference or a distorted version of it, decided by a hash of (model seed,
prompt), so its quality is stable; with probability `flip_rate` per (check, prompt) it answers a variant
instead (nondeterminism). Log-probabilities of its tokens are −0.1 per character plus the model's own
offset, so two models that write the same words can still be told apart by their log-probabilities.
Everything is a pure function of seeds and check numbers: no timing, no thread order.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from .fake_providers import FakeBehaviour


def _unit(*parts: object) -> float:
    """A reproducible number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def distort(text: str, salt: str) -> str:
    """A wrong answer that shares some words with the right one: drop the second half, add a stock phrase."""
    words = text.split()
    keep = max(1, len(words) // 2)
    return " ".join(words[:keep]) + (" maybe" if _unit(salt, text) < 0.5 else " I think")


@dataclass(frozen=True)
class SimulatedModel:
    name: str
    seed: int
    #: share of items answered with the reference (the rest get a distorted answer)
    accuracy: float = 0.6
    #: chance per (check, item) of an answer that differs from this model's usual one
    flip_rate: float = 0.0
    #: correlated nondeterminism: on this share of checks (a busy serving pool, say) every item flips at
    #: `burst_flip_rate` instead
    burst_rate: float = 0.0
    burst_flip_rate: float = 0.0
    #: added to every token's log-probability (another model writing the same text)
    logprob_offset: float = 0.0
    #: answer exactly like `same_text_as` on this share of items (a model of the same family)
    same_text_share: float = 0.0
    same_text_as: SimulatedModel | None = None

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - frozen models live as long as a benchmark; bounded
    def usual_answer(self, prompt: str, reference: str) -> str:
        if self.same_text_as is not None and _unit("same", self.seed, prompt) < self.same_text_share:
            return self.same_text_as.usual_answer(prompt, reference)
        if _unit("right", self.seed, prompt) < self.accuracy:
            return reference
        return distort(reference, f"{self.seed}")

    def answer(self, prompt: str, reference: str, check: int) -> str:
        usual = self.usual_answer(prompt, reference)
        rate = (
            self.burst_flip_rate
            if self.burst_rate and _unit("burst", self.seed, check) < self.burst_rate
            else self.flip_rate
        )
        if rate and _unit("flip", self.seed, check, prompt) < rate:
            return usual + " (" + ("again" if _unit("variant", self.seed, check, prompt) < 0.5 else "sure") + ")"
        return usual

    def token_logprob(self, token: str) -> float:
        return -0.1 * max(1, len(token.strip())) + self.logprob_offset


def behaviour_for(
    model: SimulatedModel, references: Mapping[str, str], check: int, base: FakeBehaviour | None = None
) -> FakeBehaviour:
    """A FakeBehaviour serving `model` at check number `check`; prompts not in `references` get a stock reply."""

    def reply(prompt: str, system: str | None) -> str:
        reference = references.get(prompt)
        return model.answer(prompt, reference, check) if reference is not None else f"reply to: {prompt}"

    def logprob(prompt: str, token: str) -> float:
        return model.token_logprob(token)

    behaviour = base or FakeBehaviour()
    behaviour.reply = reply
    behaviour.chat_logprob = logprob
    return behaviour
