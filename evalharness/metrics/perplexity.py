"""Perplexity of the reference under the checkpoint: token perplexity and bits per character.

Both come from the same per-item statistics (negative log-likelihood in nats, tokens, characters),
token-weighted over the reference tokens. Bits per character is comparable across tokenizers; token
perplexity is not. A backend that cannot score a given text makes every item "unsupported" with its
reason — never a number nobody measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..registry import MetricEntry
from .base import ItemStat, ScoringInput


class _LikelihoodMetric:
    name: str
    higher_is_better = False
    needs_loglikelihood = True
    stat_names = ("nll_nats", "tokens", "chars")

    def signature(self) -> str:
        return f"{self.name}|reference given rendered prompt|teacher-forced|token-weighted"

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        out = []
        for inp in inputs:
            ll = inp.loglikelihood
            if ll is None:
                # The runner marks the whole metric "unsupported" when the backend cannot score text;
                # here a single item is missing its measurement.
                out.append(ItemStat("failed", None, "log-likelihood was not measured for this item"))
            elif ll.status != "ok" or ll.nats is None or not ll.tokens or not ll.chars:
                out.append(ItemStat("failed", None, ll.error or "log-likelihood was not measured"))
            else:
                out.append(ItemStat.scored(-ll.nats, ll.tokens, ll.chars))
        return out

    def score(self, stats: np.ndarray) -> float:
        return float(self.score_many(np.asarray(stats, dtype=float)[None, :])[0])

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TokenPerplexity(_LikelihoodMetric):
    name = "token_perplexity"

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=float)
        return np.exp(np.divide(stats[:, 0], stats[:, 1], out=np.full(len(stats), np.nan), where=stats[:, 1] > 0))


class BitsPerChar(_LikelihoodMetric):
    name = "bits_per_char"

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=float)
        return np.divide(stats[:, 0], stats[:, 2] * math.log(2), out=np.full(len(stats), np.nan), where=stats[:, 2] > 0)


_STATS = ("nll_nats", "tokens", "chars")

BITS_PER_CHAR = MetricEntry(
    name="bits_per_char",
    label="bits per char",
    higher_is_better=False,
    stat_names=_STATS,
    factory=lambda setup: BitsPerChar(),
    needs=frozenset({"loglikelihood"}),
    unit="bits",
    description="−Σ log-likelihood of the references / Σ characters / ln 2 (comparable across tokenizers)",
)

TOKEN_PERPLEXITY = MetricEntry(
    name="token_perplexity",
    label="token perplexity",
    higher_is_better=False,
    stat_names=_STATS,
    factory=lambda setup: TokenPerplexity(),
    needs=frozenset({"loglikelihood"}),
    unit="perplexity",
    description="exp(−Σ log-likelihood / Σ reference tokens), token-weighted",
)
