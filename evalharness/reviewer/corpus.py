"""The reviewer's corpus: the project's documents and its latest results, as citable passages.

What is read: the configured Markdown/TOML files under the project root (README, docs, suite READMEs and
`suite.toml` metadata, the judge rubric, the checkpoints README) and, from DuckDB, the latest run summaries,
gate decisions with their reports and the champion history. What is never read: suite items (`*.jsonl`,
`suite_items`) — the corpus is sent to an external model, and items leave the machine only where a suite's
governance allows it. A suite README is included only when that suite allows `publication`, because READMEs
may quote items. Anything left out is listed in `Corpus.skipped` with the reason; nothing vanishes silently.

`CorpusBuilder.current()` rebuilds only when a source changed (file mtimes and sizes, and the result rows);
embeddings are cached per passage content in `retrieval.py`, so an unchanged passage is never re-embedded.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ReviewerConfig
from ..errors import EvalHarnessError
from ..store import Store
from ..store.review import LatestResults, latest_results
from .chunking import chunk_markdown, chunk_toml
from .passages import Passage, PassageKind
from .results import result_passages


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    passages: tuple[Passage, ...]
    skipped: tuple[Skipped, ...]
    fingerprint: str
    files: tuple[str, ...] = ()

    @property
    def results(self) -> tuple[Passage, ...]:
        return tuple(p for p in self.passages if p.is_result)

    def summary(self) -> dict:
        return {
            "passages": len(self.passages),
            "files": list(self.files),
            "results": sorted({p.source for p in self.results}),
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "fingerprint": self.fingerprint,
        }


@dataclass
class CorpusBuilder:
    """Builds the corpus for one project root and store, and rebuilds it only when a source changed."""

    root: Path
    config: ReviewerConfig
    store: Store | None = None
    _cached: Corpus | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    builds: int = field(default=0, init=False)

    def current(self) -> Corpus:
        files, file_skips = self._files()
        results, result_skips = self._results()
        stamp = hashlib.sha256()
        for path in files:
            stat = path.stat()
            stamp.update(f"{self._rel(path)}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
        stamp.update(repr(results).encode())
        fingerprint = stamp.hexdigest()
        with self._lock:
            if self._cached is not None and self._cached.fingerprint == fingerprint:
                return self._cached
            passages, read_skips = self._read(files)
            if results is not None:
                passages.extend(result_passages(results, max_chars=self.config.chunk_chars))
            self._cached = Corpus(
                tuple(passages),
                tuple(file_skips + read_skips + result_skips),
                fingerprint,
                tuple(self._rel(p) for p in files),
            )
            self.builds += 1
            return self._cached

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _files(self) -> tuple[list[Path], list[Skipped]]:
        found: dict[str, Path] = {}
        skipped: list[Skipped] = []
        for pattern in self.config.sources:
            for path in sorted(self.root.glob(pattern)):
                if not path.is_file():
                    continue
                rel = self._rel(path)
                if path.suffix.lower() == ".jsonl":
                    skipped.append(Skipped(rel, "suite items and other JSONL data are never sent to the model"))
                    continue
                found.setdefault(rel, path)
        chosen: list[Path] = []
        for rel, path in sorted(found.items()):
            reason = self._suite_readme_denied(path)
            if reason:
                skipped.append(Skipped(rel, reason))
            else:
                chosen.append(path)
        return chosen, skipped

    def _suite_readme_denied(self, path: Path) -> str | None:
        """A suite README may quote items: include it only when the suite allows publication."""
        if path.name.lower() != "readme.md" or path.parent.parent.name != "suites":
            return None
        meta = path.parent / "suite.toml"
        try:
            uses = tomllib.loads(meta.read_text(encoding="utf-8-sig")).get("governance", {}).get("allowed_uses", [])
        except (OSError, tomllib.TOMLDecodeError) as exc:
            return f"its suite.toml could not be read ({type(exc).__name__}), so publication is not known to be allowed"
        if "publication" not in uses:
            return "the suite's governance does not allow 'publication' (its README may quote items)"
        return None

    def _read(self, files: list[Path]) -> tuple[list[Passage], list[Skipped]]:
        passages: list[Passage] = []
        skipped: list[Skipped] = []
        size = self.config.chunk_chars
        for path in files:
            rel = self._rel(path)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                skipped.append(Skipped(rel, f"could not be read as UTF-8 text ({type(exc).__name__})"))
                continue
            kind = _kind(rel)
            if path.suffix.lower() == ".toml":
                passages.extend(chunk_toml(text, rel, max_chars=size, kind=kind))
            else:
                passages.extend(chunk_markdown(text, rel, max_chars=size, kind=kind))
        return passages, skipped

    def _results(self) -> tuple[LatestResults | None, list[Skipped]]:
        if self.store is None:
            return None, [Skipped("store", "no store configured")]
        if not self.store.exists():
            return None, [Skipped("store", f"no store at {self.store.path} yet (run `evalharness run` first)")]
        try:
            return latest_results(self.store, runs=self.config.latest_runs, decisions=self.config.latest_decisions), []
        except EvalHarnessError as exc:
            return None, [Skipped("store", f"latest results could not be read: {exc}")]


def _kind(rel: str) -> PassageKind:
    if rel.startswith("suites/") and rel.endswith("/suite.toml"):
        return "suite_meta"
    if "rubric" in rel.lower():
        return "rubric"
    return "doc"
