"""Backends: one file per model provider behind the small interface in `base.py`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..checkpoints import Checkpoint
from ..errors import InputError
from .base import Backend

if TYPE_CHECKING:
    from .remote import BackendContext

#: backend name → (module in this package, class); modules are imported only when their backend is used
_CLASSES = {
    "replay": ("replay", "ReplayBackend"),
    "transformers": ("transformers_backend", "TransformersBackend"),
    "openai": ("openai_backend", "OpenAIBackend"),
    "openai_compatible": ("openai_backend", "OpenAIBackend"),
    "gemini": ("gemini_backend", "GeminiBackend"),
}


def backend_class(checkpoint: Checkpoint) -> Any:
    """The class behind a manifest's backend, without building it (no model load, no key needed)."""
    if checkpoint.backend not in _CLASSES:
        raise InputError(f"unknown backend '{checkpoint.backend}'", path=checkpoint.manifest_path, field="backend")
    module, cls = _CLASSES[checkpoint.backend]
    return getattr(importlib.import_module(f".{module}", __name__), cls)


def make_backend(checkpoint: Checkpoint, context: BackendContext | None = None) -> Backend:
    """Build the backend a manifest names. Heavy imports happen here, only for the backend used.

    `context` carries what remote backends need from the run (provider settings, concurrency, the store
    for the audit log, the run and suite ids); local backends ignore it.
    """
    cls = backend_class(checkpoint)
    if checkpoint.is_external:
        return cls(checkpoint, context)
    if checkpoint.backend == "transformers" and context is not None:
        return cls(checkpoint, batch_size=context.batch_size)
    return cls(checkpoint)
