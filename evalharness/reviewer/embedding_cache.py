"""Passage embeddings by content digest, in memory and (optionally) in one `.npz` file across processes.

Why a file: embedding a 1,200-character passage with MiniLM costs tens of milliseconds on a small CPU
(hundreds of passages: seconds to minutes under load), and every `evalharness review` is a new process.
The file is only a cache: it is keyed by the embedder's name, rewritten atomically, and a missing,
unreadable or foreign file is ignored (and replaced), never an error.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger("evalharness.reviewer")

MAX_ENTRIES = 10_000  # ~15 MB at 384 float32 dimensions


class EmbeddingCache:
    def __init__(self, model: str, path: Path | None = None, *, max_entries: int = MAX_ENTRIES) -> None:
        self.model = model
        self.path = path
        self.max_entries = max_entries
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = path is None
        self._dirty = False

    def _load(self) -> None:
        self._loaded = True
        if self.path is None or not self.path.is_file():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["model"]) != self.model:
                    return
                self._vectors = dict(zip((str(d) for d in data["digests"]), data["vectors"].astype(np.float32)))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning(
                "reviewer: ignoring the embedding cache %s (%s); it will be rewritten", self.path, type(exc).__name__
            )
            self._vectors = {}

    def missing(self, digests: Iterable[str]) -> list[str]:
        if not self._loaded:
            self._load()
        return [d for d in dict.fromkeys(digests) if d not in self._vectors]

    def put(self, digests: list[str], vectors: np.ndarray) -> None:
        for digest, vector in zip(digests, np.asarray(vectors, dtype=np.float32)):
            self._vectors.pop(digest, None)
            self._vectors[digest] = vector  # newest last: the oldest are evicted first
        overflow = len(self._vectors) - self.max_entries
        for digest in list(self._vectors)[: max(overflow, 0)]:
            del self._vectors[digest]
        self._dirty = True

    def get(self, digest: str) -> np.ndarray:
        return self._vectors[digest]

    def save(self) -> None:
        """Write the file if anything was added (atomically: a reader never sees half a file)."""
        if self.path is None or not self._dirty or not self._vectors:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".embeddings-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    model=np.array(self.model),
                    digests=np.array(list(self._vectors)),
                    vectors=np.stack(list(self._vectors.values())),
                )
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:
            log.warning("reviewer: could not write the embedding cache %s (%s)", self.path, exc)
            Path(tmp).unlink(missing_ok=True)
