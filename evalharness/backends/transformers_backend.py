"""Local Hugging Face models (a folder of weights, optionally plus a LoRA adapter), run in-process on CPU.

Everything is loaded with `local_files_only=True`: no machine here reaches a model hub, and a run that
silently downloaded weights would measure something other than the manifest's files.

Tokenisation convention (the same for generation and log-likelihood): text is encoded with the
tokenizer's own special-token template (`add_special_tokens=True`). That template is how the model was
trained — the bundled demo tokenizers prepend `<bos>` through their post-processor and
`checkpoints/build_demo.py` trains through exactly the same call. Prepending a BOS the model never saw
during training inflated one measured perplexity from 2.4 to 276, so the backend never adds or removes
one on its own.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkpoints import Checkpoint, hash_folder
from ..errors import InputError
from ..registry import BackendEntry
from .base import Generation, LogLikelihood, Request, render_prompt
from .context import BackendContext

if TYPE_CHECKING:
    import torch  # imported where used: loading this module must not load torch


class TransformersBackend:
    """Greedy (or sampled) batched generation and teacher-forced log-likelihoods for a local model."""

    name = "transformers"
    supports_loglikelihood = True
    unsupported_reason: str | None = None

    def __init__(self, checkpoint: Checkpoint, *, batch_size: int = 16, device: str = "cpu", seed: int = 0) -> None:
        if batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {batch_size}", field="batch_size")
        self.checkpoint = checkpoint
        self.batch_size = batch_size
        import torch

        self.device = torch.device(device)
        self.seed = seed  # only used when temperature > 0
        self.tokenizer, self.model = _load(checkpoint, self.device)
        self.max_positions: int | None = getattr(self.model.config, "n_positions", None) or getattr(
            self.model.config, "max_position_embeddings", None
        )

    # ----------------------------------------------------------------------------------------------- generate
    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """Yield one Generation per request, batch by batch, in request order.

        A batch that raises is retried one item at a time, so one bad item fails alone, with its reason.
        """
        for start in range(0, len(requests), self.batch_size):
            batch = list(requests[start : start + self.batch_size])
            try:
                yield from self._generate_batch(batch)
            except Exception:
                for request in batch:
                    try:
                        yield from self._generate_batch([request])
                    except Exception as exc:
                        yield Generation.failed(request.item_id, f"{type(exc).__name__}: {exc}")

    def _generate_batch(self, batch: list[Request]) -> Iterator[Generation]:
        settings = self.checkpoint.generation
        prompts = [self._render(r) for r in batch]
        encoded = [self.tokenizer(p, add_special_tokens=True)["input_ids"] for p in prompts]
        too_long = self._too_long(encoded, settings.max_tokens)
        runnable = [i for i in range(len(batch)) if i not in too_long]
        outputs: dict[int, Generation] = {
            i: Generation.failed(batch[i].item_id, too_long[i], prompt_tokens=len(encoded[i])) for i in too_long
        }
        if runnable:
            started = time.perf_counter()
            new_tokens = self._run_generate([encoded[i] for i in runnable])
            latency = (time.perf_counter() - started) / len(runnable)
            for i, tokens in zip(runnable, new_tokens):
                outputs[i] = self._finish(batch[i].item_id, tokens, len(encoded[i]), latency)
        for i in range(len(batch)):
            yield outputs[i]

    def _too_long(self, encoded: list[list[int]], max_tokens: int) -> dict[int, str]:
        """Prompts that cannot fit with max_tokens in the model's context: failed, never silently truncated."""
        if self.max_positions is None:
            return {}
        return {
            i: f"prompt of {len(ids)} tokens + max_tokens {max_tokens} exceeds the model's context of "
            f"{self.max_positions} tokens"
            for i, ids in enumerate(encoded)
            if len(ids) + max_tokens > self.max_positions
        }

    def _run_generate(self, encoded: list[list[int]]) -> list[list[int]]:
        """Left-pad (so every row's last prompt token sits at the end) and return only the new tokens."""
        import torch

        settings = self.checkpoint.generation
        input_ids, attention_mask = _pad(encoded, self.tokenizer.pad_token_id, left=True)
        kwargs: dict[str, Any] = dict(
            max_new_tokens=settings.max_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.tokenizer.eos_token_id,
            repetition_penalty=settings.repetition_penalty,
            no_repeat_ngram_size=settings.no_repeat_ngram_size,
        )
        if settings.temperature > 0:
            torch.manual_seed(self.seed)
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids.to(self.device), attention_mask=attention_mask.to(self.device), **kwargs
            )
        return [row.tolist() for row in out[:, input_ids.shape[1] :]]

    def _finish(self, item_id: str, tokens: list[int], prompt_tokens: int, latency: float) -> Generation:
        """Cut at EOS (counted: the model spent it), decode, then cut at the first stop string.

        A model that answers with EOS straight away gets status ok and empty text: that is its real answer.
        """
        eos = self.tokenizer.eos_token_id
        if eos in tokens:
            tokens = tokens[: tokens.index(eos) + 1]
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        for stop in self.checkpoint.generation.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        # The prompt ends with a cue such as "A:"; the model's leading space belongs to the format, not the answer.
        return Generation(
            item_id=item_id,
            status="ok",
            text=text.strip(),
            prompt_tokens=prompt_tokens,
            completion_tokens=len(tokens),
            latency_s=latency,
        )

    # ------------------------------------------------------------------------------------------ loglikelihood
    def loglikelihood(self, requests: Sequence[Request]) -> Iterator[LogLikelihood]:
        """Yield, per request, the summed log-probability (nats) of `request.reference` given the prompt."""
        for start in range(0, len(requests), self.batch_size):
            batch = list(requests[start : start + self.batch_size])
            prepared: list[tuple[Request, list[int], int] | LogLikelihood] = [self._split_tokens(r) for r in batch]
            runnable = [p for p in prepared if not isinstance(p, LogLikelihood)]
            try:
                sums: list[float | str] = list(self._score([(ids, n) for _, ids, n in runnable])) if runnable else []
            except Exception as exc:
                sums = [f"{type(exc).__name__}: {exc}"] * len(runnable)
            scored = iter(zip(runnable, sums))
            for entry in prepared:
                if isinstance(entry, LogLikelihood):
                    yield entry
                    continue
                (request, _, n_tokens), nats = next(scored)
                if isinstance(nats, str):
                    yield LogLikelihood(item_id=request.item_id, status="failed", error=nats)
                    continue
                reference = request.reference or ""
                yield LogLikelihood(
                    item_id=request.item_id,
                    status="ok",
                    nats=nats,
                    tokens=n_tokens,
                    chars=len(reference),
                    bytes=len(reference.encode("utf-8")),
                )

    def _split_tokens(self, request: Request) -> tuple[Request, list[int], int] | LogLikelihood:
        """Token ids of prompt+reference and how many trailing ones belong to the reference.

        We encode the context and the full text (context + delimiter + reference) separately, each exactly as
        training did, and take as continuation every token from the first position where the two disagree.
        The full text is what the model saw in training, so its tokenisation is the right one; taking the
        tail from the first disagreement (rather than at len(context)) keeps a token that a BPE merge fused
        across the boundary on the reference side, so no reference character is ever left unscored.
        """
        if not request.reference:
            return LogLikelihood(item_id=request.item_id, status="failed", error="no reference text to score")
        context = self._render(request)
        # Training text is "Q: …\nA: answer": one space between the cue and the answer.
        delimiter = "" if not context or context[-1].isspace() else " "
        context_ids = self.tokenizer(context, add_special_tokens=True)["input_ids"]
        full_ids = self.tokenizer(context + delimiter + request.reference, add_special_tokens=True)["input_ids"]
        # A template may append special tokens (e.g. EOS) after the text: they belong to neither side.
        shared = 0
        while shared < min(len(context_ids), len(full_ids)) and context_ids[shared] == full_ids[shared]:
            shared += 1
        if shared == 0:
            return LogLikelihood(
                item_id=request.item_id,
                status="failed",
                error="the tokenizer adds no start token and the context is empty: the first "
                "reference token has nothing to be conditioned on",
            )
        if self.max_positions is not None and len(full_ids) > self.max_positions:
            return LogLikelihood(
                item_id=request.item_id,
                status="failed",
                error=f"prompt+reference is {len(full_ids)} tokens, longer than the model's "
                f"context of {self.max_positions}",
            )
        return request, full_ids, len(full_ids) - shared

    def _score(self, rows: list[tuple[list[int], int]]) -> list[float]:
        """One padded forward pass; right padding cannot change earlier positions of a causal model."""
        import torch

        input_ids, attention_mask = _pad([ids for ids, _ in rows], self.tokenizer.pad_token_id, left=False)
        with torch.inference_mode():
            logits = self.model(
                input_ids=input_ids.to(self.device), attention_mask=attention_mask.to(self.device)
            ).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = input_ids[:, 1:].to(self.device)
        token_lp = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        sums = []
        for row, (ids, n_continuation) in enumerate(rows):
            end = len(ids) - 1  # position t predicts token t+1
            sums.append(float(token_lp[row, end - n_continuation : end].sum()))
        return sums

    # ------------------------------------------------------------------------------------------------ helpers
    def _render(self, request: Request) -> str:
        return render_prompt(
            self.checkpoint.prompt_format, request.prompt, request.system, self.checkpoint.include_system
        )

    def close(self) -> None:
        """Drop the model so a long-lived process (the dashboard) can free its memory."""
        self.model = None


def _pad(rows: list[list[int]], pad_id: int, *, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[i, span] = torch.tensor(row, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


def _load(checkpoint: Checkpoint, device: torch.device) -> tuple[Any, Any]:
    """Load tokenizer, model (float32: fp16 matmuls on CPU are slow and lose precision) and adapter."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-load bar would break the run's own progress display
    model_dir = _existing_folder(checkpoint, "model", checkpoint.model)
    gguf = sorted(p.name for p in model_dir.glob("*.gguf"))
    extra: dict[str, Any] = {"gguf_file": gguf[0]} if gguf and not any(model_dir.glob("*.safetensors")) else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True, **extra)
        model: Any = AutoModelForCausalLM.from_pretrained(
            model_dir, local_files_only=True, dtype=torch.float32, **extra
        )
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot load a model from {model_dir}: {exc}",
            path=checkpoint.manifest_path,
            field="model",
            hint="the folder needs config.json, tokenizer files and weights",
        ) from None
    if tokenizer.pad_token_id is None:
        # Padding positions are masked out, so any id works; EOS is the usual choice for GPT-2-style vocabularies.
        tokenizer.pad_token = tokenizer.eos_token
    if checkpoint.adapter:
        from peft import PeftModel

        adapter_dir = _existing_folder(checkpoint, "adapter", checkpoint.adapter)
        try:
            with warnings.catch_warnings():
                # peft asks transformers a deprecated question on every load; nothing a user can act on.
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
                model = PeftModel.from_pretrained(model, adapter_dir, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot load the LoRA adapter from {adapter_dir}: {exc}",
                path=checkpoint.manifest_path,
                field="adapter",
            ) from None
    model.to(device)
    model.eval()
    return tokenizer, model


def _existing_folder(checkpoint: Checkpoint, field: str, relative: str) -> Path:
    folder = checkpoint.resolve(relative)
    if folder is None or not folder.is_dir():
        raise InputError(
            f"folder {folder} not found",
            path=checkpoint.manifest_path,
            field=field,
            hint="build the demo checkpoints with `python checkpoints/build_demo.py`",
        )
    return folder


def _check_manifest(checkpoint: Checkpoint, path: Path) -> None:
    """Local weight folders must exist before any run starts."""
    model_dir = checkpoint.resolve(checkpoint.model)
    if model_dir is None or not model_dir.is_dir():
        raise InputError(
            f"model folder {model_dir} not found",
            path=path,
            field="model",
            hint="build the demo checkpoints with `python checkpoints/build_demo.py`",
        )
    if not any(model_dir.glob(pattern) for pattern in ("*.safetensors", "*.bin", "*.gguf")):
        raise InputError(f"no weight files (*.safetensors, *.bin, *.gguf) in {model_dir}", path=path, field="model")
    if checkpoint.adapter:
        adapter_dir = checkpoint.resolve(checkpoint.adapter)
        if adapter_dir is None or not (adapter_dir / "adapter_config.json").is_file():
            raise InputError(
                f"LoRA adapter folder {adapter_dir} has no adapter_config.json", path=path, field="adapter"
            )


def _identity(checkpoint: Checkpoint) -> dict[str, Any]:
    """The weights and the adapter by content: a retrained model never reuses another model's answers."""
    parts = {"model_files": hash_folder(checkpoint.resolve(checkpoint.model))}
    if checkpoint.adapter:
        parts["adapter_files"] = hash_folder(checkpoint.resolve(checkpoint.adapter))
    return parts


def _build(checkpoint: Checkpoint, context: BackendContext) -> TransformersBackend:
    return TransformersBackend(checkpoint, batch_size=context.batch_size)


ENTRY = BackendEntry(
    name="transformers",
    description="a local Hugging Face model folder (+ optional LoRA adapter), batched on this machine's CPU",
    factory=_build,
    check_manifest=_check_manifest,
    identity_parts=_identity,
    loglikelihood_unsupported=lambda checkpoint: None,
)
