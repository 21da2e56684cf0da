"""Backends: one file per model provider behind the small interface in `base.py`, each described by a registry
entry (`registry.BackendEntry`) that the package registers through an entry point, as a plugin would."""

from __future__ import annotations

from ..checkpoints import Checkpoint
from .base import Backend
from .context import BackendContext


def make_backend(checkpoint: Checkpoint, context: BackendContext | None = None) -> Backend:
    """Build the backend a manifest names, through its registry entry (heavy imports happen in the factory).

    `context` carries what remote backends need from the run (provider settings, concurrency, the store
    for the audit log, the run and suite ids) and the batch size local models use.
    """
    from ..registry import backend

    return backend(checkpoint.backend).factory(checkpoint, context or BackendContext())
