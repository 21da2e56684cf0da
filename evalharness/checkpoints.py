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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .tomlfile import read_toml

BackendName = Literal["transformers", "openai", "gemini", "openai_compatible", "replay"]
EXTERNAL_BACKENDS = frozenset({"openai", "gemini", "openai_compatible"})


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
    backend: BackendName
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
    manifest_path: str | None = Field(None, exclude=True)

    @property
    def provider_name(self) -> str:
        """Which `[providers.<name>]` section sets this checkpoint's limits and prices."""
        return self.provider or self.backend

    @property
    def is_external(self) -> bool:
        return self.backend in EXTERNAL_BACKENDS

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
        parts = {
            "backend": self.backend,
            "model": self.model,
            "adapter": self.adapter,
            "base_url": self.base_url if self.backend == "openai_compatible" else None,
        }
        if self.backend == "transformers":
            parts["model_files"] = _hash_folder(self.resolve(self.model))
            if self.adapter:
                parts["adapter_files"] = _hash_folder(self.resolve(self.adapter))
        if self.backend == "replay" and self.replies:
            parts["replies"] = _hash_file(self.resolve(self.replies))
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


def _hash_file(path: Path | None) -> str:
    if path is None or not path.is_file():
        return "missing"
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_folder(folder: Path | None) -> str:
    if folder is None or not folder.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(_hash_file(path).encode())
    return digest.hexdigest()


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load and validate a manifest; local weight folders must exist (checked here, before any run starts)."""
    path = Path(path)
    data = read_toml(path, what="checkpoint manifest", hint="see checkpoints/README.md")
    try:
        checkpoint = Checkpoint.model_validate({**data, "manifest_path": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"])
        allowed = ""
        if field_name == "backend":
            allowed = "allowed backends: transformers, openai, gemini, openai_compatible, replay"
        raise InputError(err["msg"], path=path, field=field_name, hint=allowed or None) from None
    _check_files(checkpoint, path)
    return checkpoint


def _check_files(checkpoint: Checkpoint, path: Path) -> None:
    if checkpoint.backend == "transformers":
        model_dir = checkpoint.resolve(checkpoint.model)
        if model_dir is None or not model_dir.is_dir():
            raise InputError(
                f"model folder {model_dir} not found",
                path=path,
                field="model",
                hint="build the demo checkpoints with `python checkpoints/build_demo.py`",
            )
        if (
            not any(model_dir.glob("*.safetensors"))
            and not any(model_dir.glob("*.bin"))
            and not any(model_dir.glob("*.gguf"))
        ):
            raise InputError(f"no weight files (*.safetensors, *.bin, *.gguf) in {model_dir}", path=path, field="model")
        if checkpoint.adapter:
            adapter_dir = checkpoint.resolve(checkpoint.adapter)
            if adapter_dir is None or not (adapter_dir / "adapter_config.json").is_file():
                raise InputError(
                    f"LoRA adapter folder {adapter_dir} has no adapter_config.json", path=path, field="adapter"
                )
    if checkpoint.backend == "replay":
        replies = checkpoint.resolve(checkpoint.replies)
        if replies is None:
            raise InputError("the replay backend needs 'replies' (a JSONL of {id, reply})", path=path, field="replies")
        if not replies.is_file():
            raise InputError(f"replies file {replies} not found", path=path, field="replies")
    if checkpoint.backend in ("openai_compatible",) and not checkpoint.base_url:
        raise InputError(
            "openai_compatible checkpoints need base_url (e.g. http://localhost:8000/v1)", path=path, field="base_url"
        )


def find_checkpoint(name_or_path: str, directory: str | Path = "checkpoints") -> Checkpoint:
    """Accept a manifest path or a bare name looked up in the checkpoints folder."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        return load_checkpoint(candidate)
    path = Path(directory) / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(directory).glob("*.toml"))
        raise InputError(
            f"no checkpoint named '{name_or_path}'", path=path, hint=f"known checkpoints: {', '.join(known) or 'none'}"
        )
    return load_checkpoint(path)
