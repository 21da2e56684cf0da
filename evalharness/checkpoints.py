"""Checkpoint manifests (`checkpoints/<name>.toml`) → a validated description of a model to evaluate.

A checkpoint's *identity* is a hash of what determines its outputs: backend, model id, and for local
checkpoints the content of the weight and adapter files. The generation cache is keyed by it, so a
retrained model never reuses another model's answers.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError
from .paths import NOT_FOUND, file_problem
from .tomlfile import line_of, read_toml


class GenerationSettings(BaseModel):
    """Decoding settings. Temperature 0 (greedy) by default, so a re-run measures the same thing."""

    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(96, ge=1, le=32768)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    repetition_penalty: float = Field(1.0, ge=1.0, le=5.0)
    no_repeat_ngram_size: int = Field(0, ge=0, le=16)
    stop: list[str] = Field(default_factory=list)


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    #: a registered backend name (see `evalharness.registry`; built-ins: transformers, replay, openai,
    #: openai_compatible, gemini)
    backend: str
    model: str = Field(description="model id (remote) or folder (local, relative to the manifest)")
    adapter: str | None = Field(None, description="LoRA adapter folder (transformers backend)")
    parent: str | None = None
    prompt_format: str = Field("{prompt}", description="template with {prompt} (and optionally {system})")
    include_system: bool = True
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    replies: str | None = Field(None, description="replay backend: JSONL of {id, reply}")
    base_url: str | None = None
    api_key_env: str | None = None
    provider: str | None = Field(None, description="config section [providers.<provider>] (default: the backend)")
    completions_logprobs: bool = Field(False, description="openai_compatible: server supports echo+logprobs")
    training_data: str | None = None
    notes: str = ""
    #: settings of a backend added by another package (`[options]` in the manifest); built-ins use none
    options: dict[str, Any] = Field(default_factory=dict)
    manifest_path: str | None = Field(None, exclude=True)

    @field_validator("backend")
    @classmethod
    def _registered(cls, name: str) -> str:
        from .registry import backend_names

        if name not in backend_names():
            raise ValueError(f"unknown backend '{name}'; registered: {', '.join(backend_names())}")
        return name

    @property
    def provider_name(self) -> str:
        """Which `[providers.<name>]` section sets this checkpoint's limits and prices."""
        return self.provider or self.backend

    @property
    def is_external(self) -> bool:
        """Prompts leave the machine: the suite must allow `external_generation`."""
        from .registry import backend

        return backend(self.backend).external

    def resolve(self, relative: str | None) -> Path | None:
        """Resolve a path written in the manifest relative to the manifest's folder."""
        if relative is None:
            return None
        path = Path(relative)
        if not path.is_absolute() and self.manifest_path:
            path = Path(self.manifest_path).parent / path
        return path

    @cached_property
    def identity(self) -> str:
        """sha256 over what determines the outputs. Local files are hashed by content."""
        from .registry import backend

        parts: dict[str, Any] = {
            "backend": self.backend,
            "model": self.model,
            "adapter": self.adapter,
            "base_url": None,
        }
        parts.update(backend(self.backend).identity_parts(self))  # e.g. weight files, a server URL
        if self.options:
            parts["options"] = self.options
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    @property
    def settings_hash(self) -> str:
        """Hash of decoding settings and prompt format: same model, other settings → other cache entries."""
        blob = {
            "generation": self.generation.model_dump(),
            "prompt_format": self.prompt_format,
            "include_system": self.include_system,
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def hash_file(path: Path | None) -> str:
    """sha256 of a file's content ("missing" when there is none): for backends' identity parts."""
    if path is None or not path.is_file():
        return "missing"
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_folder(folder: Path | None) -> str:
    """sha256 over a folder's file names and contents ("missing" when there is none)."""
    if folder is None or not folder.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(hash_file(path).encode())
    return digest.hexdigest()


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load and validate a manifest; the backend's checks (e.g. local weight folders exist) run here, before any
    run starts."""
    path = Path(path)
    data = read_toml(path, what="checkpoint manifest", hint="see checkpoints/README.md")
    try:
        checkpoint = Checkpoint.model_validate({**data, "manifest_path": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        raise InputError(message, path=path, line=line_of(path, err["loc"]), field=field_name) from None
    from .registry import backend

    # the backend's own checks (files read in full or by header, settings): before a run or checkpoint row is
    # written, so a bad input never leaves a run that can only stay `running`
    backend(checkpoint.backend).check_manifest(checkpoint, path)
    return checkpoint


def find_checkpoint(name_or_path: str, directory: str | Path = "checkpoints") -> Checkpoint:
    """Accept a manifest path or a bare name looked up in the checkpoints folder."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        return load_checkpoint(candidate)
    path = Path(directory) / f"{name_or_path}.toml"
    if file_problem(path) not in (None, NOT_FOUND):
        return load_checkpoint(path)  # there, but unreadable: the loader says why (a loop, a folder …)
    if not path.is_file():
        known = sorted(p.stem for p in Path(directory).glob("*.toml"))
        raise InputError(
            f"no checkpoint named '{name_or_path}'", path=path, hint=f"known checkpoints: {', '.join(known) or 'none'}"
        )
    return load_checkpoint(path)
