"""Ask the Gemini reviewer about the project: a corpus of the project's documents and latest results, offline
retrieval with citations, and a streamed Gemini chat (or retrieval only, when no model can answer).

    session = open_session(load_config())
    for chunk in session.assess(): print(chunk, end="")
    reply = session.ask("Why was stoney-v2 reverted?"); text = "".join(reply); reply.answer.sources
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from ..store import Store
from .answers import Answer
from .chat import Reply, ReviewSession
from .corpus import Corpus, CorpusBuilder
from .passages import Passage
from .retrieval import Ranked, Retriever, default_retriever

__all__ = [
    "Answer",
    "Corpus",
    "CorpusBuilder",
    "Passage",
    "Ranked",
    "Reply",
    "Retriever",
    "ReviewSession",
    "corpus_builder",
    "open_session",
]


def corpus_builder(config: Config, store: Store | None = None) -> CorpusBuilder:
    """The corpus of the project root named by `[reviewer] root` (relative to the config file) and the store
    of `EVALHARNESS_DB` / `[store] path`."""
    root = config.resolve(config.reviewer.root).resolve()
    return CorpusBuilder(root=root, config=config.reviewer, store=store or Store(config.store_url()))


def embedding_cache_path(config: Config) -> Path | None:
    setting = config.reviewer.embedding_cache
    return config.resolve(str(Path(setting).expanduser())) if setting else None


def open_session(
    config: Config, *, retriever: Retriever | None = None, store: Store | None = None, **kwargs: Any
) -> ReviewSession:
    """A new conversation; the key comes from GOOGLE_API_KEY or GEMINI_API_KEY unless `api_key=` is given."""
    return ReviewSession(
        config=config.reviewer,
        corpus=corpus_builder(config, store),
        retriever=retriever or default_retriever(embedding_cache_path(config)),
        **{"key_hosts": config.keys, **kwargs},
    )
