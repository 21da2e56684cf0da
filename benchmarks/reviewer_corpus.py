"""How much the reviewer's corpus and retrieval cost, and what its caches save.

Prints figures (no pass/fail):
- this repository's corpus: files, passages, characters; cold build vs an unchanged re-check;
- a synthetic project of N documents: cold embedding vs a warm (cached) ranking, and a one-file edit
  (only the changed passages are re-embedded);
- the opening assessment against a loopback Gemini: request size and time to the first streamed chunk.

    PYTHONPATH=$PWD python benchmarks/reviewer_corpus.py [--docs 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from evalharness.config import Config, ReviewerConfig, StoreConfig  # noqa: E402
from evalharness.reviewer import CorpusBuilder, Retriever, open_session  # noqa: E402
from evalharness.reviewer.prompt import ASSESSMENT_QUERY  # noqa: E402
from evalharness.store import Store  # noqa: E402

WORDS = ("gate chrF bootstrap champion revert advance suite governance elder reviewer correction narrative "
         "checkpoint perplexity embedding dictionary Stoney Nakoda community release policy margin").split()


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def synthetic_project(root: Path, docs: int) -> None:
    for d in range(docs):
        sections = []
        for s in range(8):
            body = " ".join(WORDS[(d * 7 + s * 3 + k) % len(WORDS)] for k in range(120))
            sections.append(f"## Section {s}\n\n{body}\n")
        (root / "docs").mkdir(parents=True, exist_ok=True)
        (root / "docs" / f"doc{d:03d}.md").write_text(f"# Document {d}\n\n" + "\n".join(sections))


def repository_figures(retriever: Retriever) -> None:
    config = ReviewerConfig()
    builder = CorpusBuilder(root=ROOT, config=config, store=None)
    corpus, cold = timed(builder.current)
    _, warm = timed(builder.current)
    chars = sum(len(p.text) for p in corpus.passages)
    print(f"this repository: {len(corpus.files)} files, {len(corpus.passages)} passages, {chars:,} characters")
    print(f"  build {cold * 1000:.1f} ms; unchanged re-check {warm * 1000:.1f} ms (ratio {warm / cold:.2f})")
    _, embed = timed(lambda: retriever.rank("warm-up", corpus.passages))
    print(f"  first ranking (embeds every passage) {embed:.2f} s")


def synthetic_figures(docs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic_project(root, docs)
        builder = CorpusBuilder(root=root, config=ReviewerConfig(), store=None)
        corpus = builder.current()
        cache = root / "cache" / "embeddings.npz"
        retriever = Retriever(cache_path=cache)
        _, cold = timed(lambda: retriever.rank(ASSESSMENT_QUERY, corpus.passages))
        _, warm = timed(lambda: retriever.rank("why was the candidate reverted?", corpus.passages))
        chars = sum(len(p.text) for p in corpus.passages)
        print(f"synthetic project: {docs} documents, {len(corpus.passages)} passages, {chars:,} characters "
              f"(~{chars // 4:,} tokens if sent whole)")
        print(f"  cold ranking {cold:.2f} s ({len(corpus.passages) / cold:.0f} passages/s); warm ranking "
              f"{warm * 1000:.0f} ms; warm/cold {warm / cold:.3f}")
        _, next_process = timed(lambda: Retriever(cache_path=cache).rank("policy margin", corpus.passages))
        print(f"  a new process with the embedding file ({cache.stat().st_size / 1e6:.1f} MB): ranking "
              f"{next_process * 1000:.0f} ms; next-process/cold {next_process / cold:.3f}")
        edited = root / "docs" / "doc000.md"
        edited.write_text(edited.read_text().replace("Section 3", "Section three"))
        before = retriever.embedded
        changed, rebuild = timed(builder.current)
        _, rerank = timed(lambda: retriever.rank("policy margin", changed.passages))
        print(f"  one file edited: rebuild {rebuild * 1000:.0f} ms, re-embedded {retriever.embedded - before} "
              f"passage(s), ranking {rerank * 1000:.0f} ms")


def first_chunk_figures(retriever: Retriever) -> None:
    from reviewer.conftest import Project, seed_store, write_project  # tests/reviewer fixtures
    from reviewer.fake_gemini import FakeGemini

    with tempfile.TemporaryDirectory() as tmp:
        root, db = Path(tmp) / "project", Path(tmp) / "r.duckdb"
        write_project(root)
        seed_store(db)
        os.environ["EVALHARNESS_DB"] = str(db)
        fake = FakeGemini().start()
        fake.script = [["chunk "] * 20]
        try:
            project = Project(root=root, db=db)
            config: Config = project.config(base_url=fake.base_url)
            config = config.model_copy(update={"store": StoreConfig(path=str(db))})
            session = open_session(config, retriever=retriever, api_key="bench-key")
            session.corpus.current()
            retriever.rank("warm-up", session.corpus.current().passages)
            start = time.perf_counter()
            reply = session.assess()
            first = next(iter(reply))
            to_first = time.perf_counter() - start
            answer = reply.result()
            total = time.perf_counter() - start
            request = fake.stream_requests()[0]
            sent = sum(len(t) for _, t in fake.turns(request))
            print(f"opening assessment (loopback Gemini, warm caches): {len(answer.passages)} passages, "
                  f"{sent:,} characters in the request; first chunk after {to_first * 1000:.0f} ms, "
                  f"whole reply {total * 1000:.0f} ms ({first!r} first)")
            calls = Store(db).query("SELECT count(*) FROM external_calls WHERE purpose = 'review'")[0][0]
            print(f"  audited calls: {calls}")
        finally:
            fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=60)
    args = parser.parse_args()
    retriever = Retriever()
    _, load = timed(lambda: retriever.rank("load", []) or __import__(
        "evalharness.metrics.embedding", fromlist=["load_embedder"]).load_embedder())
    print(f"embedder load {load:.2f} s (once per process)")
    repository_figures(retriever)
    synthetic_figures(args.docs)
    first_chunk_figures(retriever)


if __name__ == "__main__":
    main()
