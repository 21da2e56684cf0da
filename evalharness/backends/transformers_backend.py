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

import json
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkpoints import Checkpoint, hash_folder
from ..errors import InputError
from ..paths import NOT_FOUND, file_problem, folder_problem
from ..registry import BackendEntry
from .base import Generation, LogLikelihood, Request, render_prompt
from .context import BackendContext

if TYPE_CHECKING:
    import torch  # imported where used: loading this module must not load torch

try:  # what safetensors raises for a corrupt file (a dependency of transformers)
    from safetensors import SafetensorError as _SafetensorError
except ImportError:  # pragma: no cover
    _SafetensorError = OSError  # type: ignore[assignment,misc]


class TransformersBackend:
    """Greedy (or sampled) batched generation and teacher-forced log-likelihoods for a local model."""

    name = "transformers"
    supports_loglikelihood = True
    unsupported_reason: str | None = None

    def __init__(self, checkpoint: Checkpoint, *, batch_size: int = 16, device: str = "cpu", seed: int = 0) -> None:
        if batch_size < 1:
            raise InputError(f"batch size must be at least 1, got {batch_size}", field="batch_size")
        import torch  # here, not at import time: the runner asks this class for facts without loading a model

        self.checkpoint = checkpoint
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.seed = seed  # only used when temperature > 0
        self.tokenizer, self.model = _load(checkpoint, self.device)
        self.max_positions: int | None = getattr(self.model.config, "n_positions", None) or getattr(
            self.model.config, "max_position_embeddings", None
        )

    # ----------------------------------------------------------------------------------------------- generate
    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """Yield one Generation per request, batch by batch, shortest prompts first.

        Batching prompts of similar length wastes little on padding; the runner files each result by its
        item id, so the order it arrives in does not matter. A batch that raises is retried one item at a
        time, so one bad item fails alone, with its reason.
        """
        encoded = self._encode([self._render(r) for r in requests])
        order = sorted(range(len(requests)), key=lambda i: (len(encoded[i]), i))
        for start in range(0, len(order), self.batch_size):
            batch = [(requests[i], encoded[i]) for i in order[start : start + self.batch_size]]
            try:
                yield from self._generate_batch(batch)
            except Exception:
                for request, ids in batch:
                    try:
                        yield from self._generate_batch([(request, ids)])
                    except Exception as exc:
                        yield Generation.failed(request.item_id, f"{type(exc).__name__}: {exc}")

    def _encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text with the tokenizer's own template (one call for all: the fast tokenizer
        then does the work in Rust, not once per text in Python)."""
        if not texts:
            return []
        return [list(ids) for ids in self.tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def _generate_batch(self, batch: list[tuple[Request, list[int]]]) -> Iterator[Generation]:
        settings = self.checkpoint.generation
        encoded = [ids for _, ids in batch]
        too_long = self._too_long(encoded, settings.max_tokens)
        runnable = [i for i in range(len(batch)) if i not in too_long]
        outputs: dict[int, Generation] = {
            i: Generation.failed(batch[i][0].item_id, too_long[i], prompt_tokens=len(encoded[i])) for i in too_long
        }
        if runnable:
            started = time.perf_counter()
            new_tokens = self._run_generate([encoded[i] for i in runnable])
            latency = (time.perf_counter() - started) / len(runnable)
            for i, tokens in zip(runnable, new_tokens, strict=True):
                outputs[i] = self._finish(batch[i][0].item_id, tokens, len(encoded[i]), latency)
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
        """Yield, per request, the summed log-probability (nats) of `request.reference` given the prompt.

        Requests are scored in batches of similar length, longest first (as lm-evaluation-harness does):
        on the 401 dictionary items this computes about a third fewer padded positions than batches in
        suite order. Results come back in that order; the runner files them by item id.
        """
        prepared = self._split_all(requests)
        for entry in prepared:
            if isinstance(entry, LogLikelihood):
                yield entry
        runnable = sorted((p for p in prepared if not isinstance(p, LogLikelihood)), key=lambda p: -len(p[1]))
        for start in range(0, len(runnable), self.batch_size):
            batch = runnable[start : start + self.batch_size]
            try:
                sums: list[float | str] = list(self._score([(ids, n) for _, ids, n in batch]))
            except Exception as exc:
                sums = [f"{type(exc).__name__}: {exc}"] * len(batch)
            for (request, _, n_tokens), nats in zip(batch, sums, strict=True):
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

    def _split_all(self, requests: Sequence[Request]) -> list[tuple[Request, list[int], int] | LogLikelihood]:
        """Token ids of prompt+reference and how many trailing ones belong to the reference, per request.

        We encode the context and the full text (context + delimiter + reference) separately, each exactly as
        training did, and take as continuation every token from the first position where the two disagree.
        The full text is what the model saw in training, so its tokenisation is the right one; taking the
        tail from the first disagreement (rather than at len(context)) keeps a token that a BPE merge fused
        across the boundary on the reference side, so no reference character is ever left unscored.
        """
        with_reference = [r for r in requests if r.reference]
        contexts = [self._render(r) for r in with_reference]
        # Training text is "Q: …\nA: answer": one space between the cue and the answer.
        fulls = [
            c + ("" if not c or c[-1].isspace() else " ") + (r.reference or "")
            for c, r in zip(contexts, with_reference, strict=True)
        ]
        encoded = dict(
            zip(
                (r.item_id for r in with_reference),
                zip(self._encode(contexts), self._encode(fulls), strict=True),
                strict=True,
            )
        )
        out: list[tuple[Request, list[int], int] | LogLikelihood] = []
        for request in requests:
            if not request.reference:
                out.append(LogLikelihood(item_id=request.item_id, status="failed", error="no reference text to score"))
                continue
            context_ids, full_ids = encoded[request.item_id]
            out.append(self._continuation(request, context_ids, full_ids))
        return out

    def _continuation(
        self, request: Request, context_ids: list[int], full_ids: list[int]
    ) -> tuple[Request, list[int], int] | LogLikelihood:
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
        """One right-padded forward pass; log-softmax only where a reference token is predicted.

        No attention mask: with right padding a causal model's real positions never see the pads (they come
        after them), so the mask changes no value we read — and building it cost 3–5% of the time. The pad
        value is then never read either; it is a token id other than the model's pad id, so transformers
        does not warn about a missing mask. The log-softmax over the vocabulary is taken only at the positions
        that predict a reference token, not at every position of every row.
        """
        import torch

        pad_id = getattr(self.model.config, "pad_token_id", None)
        input_ids, _ = _pad([ids for ids, _ in rows], 1 if pad_id == 0 else 0, left=False)
        # position t predicts token t + 1: the reference's n tokens are predicted at len − 1 − n … len − 2
        row_index = [r for r, (_, n) in enumerate(rows) for _ in range(n)]
        positions = [len(ids) - 1 - n + k for ids, n in rows for k in range(n)]
        rows_t = torch.tensor(row_index, dtype=torch.long)
        pos_t = torch.tensor(positions, dtype=torch.long)
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids.to(self.device)).logits
            picked = logits[rows_t, pos_t].float()
            targets = input_ids[rows_t, pos_t + 1].to(self.device)
            token_lp = torch.log_softmax(picked, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            sums = torch.zeros(len(rows), dtype=torch.float64).index_add_(0, rows_t, token_lp.double())
        return [float(v) for v in sums]

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
    except (OSError, ValueError, _SafetensorError) as exc:
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
        except (OSError, ValueError, _SafetensorError) as exc:
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
    problem = folder_problem(folder) if folder is not None else NOT_FOUND
    if folder is None or problem is not None:
        raise InputError(
            f"{field} folder {folder} {problem}",
            path=checkpoint.manifest_path,
            field=field,
            hint="build the demo checkpoints with `python checkpoints/build_demo.py`",
        )
    return folder


def _check_json(path: Path, checkpoint: Checkpoint, field: str, hint: str) -> None:
    problem = file_problem(path)
    if problem is not None:
        raise InputError(
            f"{path.name} {problem} in {path.parent}", path=checkpoint.manifest_path, field=field, hint=hint
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file ({exc})", path=path, hint=hint) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object, got {type(data).__name__}", path=path, hint=hint)


def _check_safetensors(path: Path, checkpoint: Checkpoint, field: str) -> None:
    """Read the header only (a few KB): a truncated or corrupt file fails here, naming itself."""
    if path.suffix != ".safetensors":
        return
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            handle.keys()
    except Exception as exc:
        raise InputError(
            f"cannot read these weights ({exc})",
            path=path,
            field=field,
            hint="the file is corrupt or truncated; copy or save it again",
        ) from None


def _check_manifest(checkpoint: Checkpoint, path: Path) -> None:
    """The model folder (a config.json that reads, weights whose headers read) and the adapter, without loading
    them: a bad weights folder is an error naming the file when the manifest is loaded, before any run exists."""
    model_dir = _existing_folder(checkpoint, "model", checkpoint.model)
    _check_json(
        model_dir / "config.json",
        checkpoint,
        "model",
        "a model folder needs the config.json written with its weights (save_pretrained writes it)",
    )
    weights = sorted(p for pattern in ("*.safetensors", "*.bin", "*.gguf") for p in model_dir.glob(pattern))
    if not weights:
        raise InputError(
            f"no weight files (*.safetensors, *.bin, *.gguf) in {model_dir}",
            path=path,
            field="model",
        )
    for weights_file in weights:
        _check_safetensors(weights_file, checkpoint, "model")
    if checkpoint.adapter:
        adapter_dir = _existing_folder(checkpoint, "adapter", checkpoint.adapter)
        _check_json(
            adapter_dir / "adapter_config.json",
            checkpoint,
            "adapter",
            "a LoRA adapter folder needs the adapter_config.json that peft's save_pretrained writes",
        )
        for weights_file in sorted(adapter_dir.glob("*.safetensors")):
            _check_safetensors(weights_file, checkpoint, "adapter")


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
