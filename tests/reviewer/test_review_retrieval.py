import os
import time

import numpy as np

from evalharness.reviewer import Retriever, corpus_builder

from .conftest import DECISION_ID


def test_why_was_a_checkpoint_reverted_finds_the_gate_decision(project, retriever):
    corpus = corpus_builder(project.config()).current()
    ranked = retriever.rank("Why was stoney-v2 reverted by the gate?", corpus.passages)
    assert ranked[0].passage.source == f"decision:{DECISION_ID}"
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert len(ranked) == len(corpus.passages)


def test_select_respects_top_k_the_character_budget_and_pins(project, retriever):
    corpus = corpus_builder(project.config()).current()
    chosen = retriever.select("gate policy", corpus.passages, top_k=3, context_chars=10_000)
    assert len(chosen) == 3
    tight = retriever.select("gate policy", corpus.passages, top_k=50, context_chars=300)
    assert sum(len(r.passage.text) for r in tight) <= 300 and tight
    pinned = [p for p in corpus.results if not p.heading]
    with_pins = retriever.select("rubric grades", corpus.passages, top_k=2, context_chars=20_000, pinned=pinned)
    assert [r.passage for r in with_pins[:len(pinned)]] == pinned
    assert len(with_pins) == len(pinned) + 2
    assert len({r.passage.digest for r in with_pins}) == len(with_pins)


def _bag_of_bytes(texts):
    """A cheap stand-in embedder (this test is about the cache, not the model)."""
    vectors = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        np.add.at(vectors[row], np.frombuffer(text.encode(), dtype=np.uint8), 1.0)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_unchanged_passages_are_not_embedded_again(project):
    retriever = Retriever(embed=_bag_of_bytes)
    builder = corpus_builder(project.config())
    corpus = builder.current()
    retriever.rank("anything", corpus.passages)
    assert retriever.embedded == len({p.digest for p in corpus.passages})
    retriever.rank("something else", builder.current().passages)
    assert retriever.embedded == len({p.digest for p in corpus.passages})
    doc = project.root / "checkpoints" / "README.md"
    doc.write_text("# Checkpoints\n\nThree tiny GPT-2 models and one LoRA adapter.\n")
    os.utime(doc, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    changed = builder.current()
    before = retriever.embedded
    retriever.rank("checkpoints", changed.passages)
    assert retriever.embedded - before == 1  # only the rewritten passage


def test_the_embedding_file_cache_serves_a_new_process(project, tmp_path):
    cache = tmp_path / "cache" / "emb.npz"
    passages = corpus_builder(project.config()).current().passages
    first = Retriever(embed=_bag_of_bytes, cache_path=cache)
    expected = first.rank("gate policy", passages)
    assert first.embedded == len({p.digest for p in passages}) and cache.is_file()
    second = Retriever(embed=_bag_of_bytes, cache_path=cache)  # as a new `evalharness review` would
    assert [(r.passage, round(r.score, 6)) for r in second.rank("gate policy", passages)] == \
        [(r.passage, round(r.score, 6)) for r in expected]
    assert second.embedded == 0
    other_model = Retriever(embed=_bag_of_bytes, model="another embedder", cache_path=cache)
    other_model.rank("gate policy", passages)
    assert other_model.embedded == len({p.digest for p in passages})  # never reads another model's vectors


def test_a_damaged_cache_file_is_ignored_and_rewritten(project, tmp_path):
    cache = tmp_path / "emb.npz"
    cache.write_bytes(b"not an npz file")
    passages = corpus_builder(project.config()).current().passages
    retriever = Retriever(embed=_bag_of_bytes, cache_path=cache)
    assert retriever.rank("gate", passages)
    assert Retriever(embed=_bag_of_bytes, cache_path=cache).rank("gate", passages) and \
        np.load(cache)["vectors"].shape[0] == len({p.digest for p in passages})
