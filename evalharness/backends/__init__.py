"""Backends: one file per model provider behind the small interface in `base.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..checkpoints import Checkpoint
from ..errors import InputError
from .base import Backend

if TYPE_CHECKING:
    from .remote import BackendContext


def make_backend(checkpoint: Checkpoint, context: BackendContext | None = None) -> Backend:
    """Build the backend a manifest names. Heavy imports happen here, only for the backend used.

    `context` carries what remote backends need from the run (provider settings, concurrency, the store
    for the audit log, the run and suite ids); local backends ignore it.
    """
    if checkpoint.backend == "replay":
        from .replay import ReplayBackend

        return ReplayBackend(checkpoint)
    if checkpoint.backend == "transformers":
        from .transformers_backend import TransformersBackend

        return TransformersBackend(checkpoint)
    if checkpoint.backend in ("openai", "openai_compatible"):
        from .openai_backend import OpenAIBackend

        return OpenAIBackend(checkpoint, context)
    if checkpoint.backend == "gemini":
        from .gemini_backend import GeminiBackend

        return GeminiBackend(checkpoint, context)
    raise InputError(f"unknown backend '{checkpoint.backend}'", path=checkpoint.manifest_path, field="backend")
