"""Build the three bundled demo checkpoints from `checkpoints/demo/data/train.jsonl` only.

    python checkpoints/build_demo.py            # train, save, write manifests, then measure held-out chrF++
    python checkpoints/build_demo.py --no-eval  # train and save only

Produces tiny GPT-2-style models that exist to exercise the harness end to end (a real tokenizer, real
weights, a real LoRA adapter, measurable differences between checkpoints) — not useful translators.

  demo/stoney-base/      full model after BASE_EPOCHS epochs            (manifest stoney-base.toml)
  demo/stoney-v2/        the same run after V2_EPOCHS more epochs        (manifest stoney-v2.toml)
  demo/stoney-v3-lora/   LoRA (r=8, c_attn) on top of the saved v2        (manifest stoney-v3-lora.toml)

Training reads nothing but the training file: the held-out suites are opened only afterwards, by
`measure()`, to report chrF++. Seeded, single-process, fixed thread count: on the same machine and library
versions a re-run gives the same metrics (and in our runs byte-identical weights); across CPUs or torch
versions float reductions may differ in the last bits, so compare metrics, not file hashes.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from evalharness.importers import import_openai_chat  # noqa: E402

SEED = 20261125
TRAIN_FILE = HERE / "demo" / "data" / "train.jsonl"
PROMPT_FORMAT = "Q: {prompt}\nA:"
VOCAB_SIZE = 2000
SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>"]  # ids 0, 1, 2: real tokens inside the vocabulary
CONTEXT = 512
BATCH_SIZE = 16
BASE_EPOCHS = 1
V2_EPOCHS = 4  # more, after the base snapshot
LORA_EPOCHS = 2
LEARNING_RATE = 2e-3
LORA_LEARNING_RATE = 2e-3
WARMUP_STEPS = 50


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def training_texts() -> list[str]:
    """`Q: {user}\\nA: {assistant}` — the manifest's prompt_format followed by a space and the answer."""
    items = import_openai_chat(TRAIN_FILE, id_prefix="train")
    return [PROMPT_FORMAT.replace("{prompt}", item.prompt) + " " + item.reference for item in items]


def train_tokenizer(texts: list[str], out_dir: Path):
    """Byte-level BPE whose post-processor prepends <bos>: the backend's `add_special_tokens=True` then
    reproduces the training convention with no special-casing."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", 1)]),
    ])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   model_max_length=CONTEXT)
    fast.save_pretrained(out_dir)
    return fast


def encode(tokenizer, texts: list[str]) -> list[list[int]]:
    """Same call as the backend (BOS from the template) plus <eos>, so the model learns where to stop."""
    rows = [tokenizer(t, add_special_tokens=True)["input_ids"] + [tokenizer.eos_token_id] for t in texts]
    return [r[:CONTEXT] for r in rows]


def batches(rows: list[list[int]], epoch: int, pad_id: int):
    """Seeded shuffle, then length-bucketed batches (sorted within windows of 8 batches, batch order
    shuffled again): far less padding, so an epoch costs about half the time on 2 CPU cores."""
    generator = torch.Generator().manual_seed(SEED + epoch)
    order = torch.randperm(len(rows), generator=generator).tolist()
    window = BATCH_SIZE * 8
    chunks = []
    for start in range(0, len(order), window):
        ordered = sorted(order[start:start + window], key=lambda i: len(rows[i]))
        chunks += [ordered[k:k + BATCH_SIZE] for k in range(0, len(ordered), BATCH_SIZE)]
    for c in torch.randperm(len(chunks), generator=generator).tolist():
        chunk = [rows[i] for i in chunks[c]]
        width = max(len(r) for r in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for j, row in enumerate(chunk):
            ids[j, :len(row)] = torch.tensor(row)
            mask[j, :len(row)] = 1
        labels = ids.masked_fill(mask == 0, -100)  # padding never counts in the loss
        yield ids, mask, labels


def run_epochs(model, rows, pad_id, optimizer, scheduler, epochs: range, label: str) -> None:
    model.train()
    for epoch in epochs:
        total, count, started = 0.0, 0, time.perf_counter()
        for ids, mask, labels in batches(rows, epoch, pad_id):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total, count = total + loss.item(), count + 1
        print(f"  {label} epoch {epoch + 1}: loss {total / count:.3f} ({time.perf_counter() - started:.1f} s)",
              flush=True)
    model.eval()


def schedule(optimizer, total_steps: int):
    """Linear warm-up, then cosine decay to 10%: one schedule across base and v2, like one longer run."""
    def factor(step: int) -> float:
        if step < WARMUP_STEPS:
            return (step + 1) / WARMUP_STEPS
        progress = (step - WARMUP_STEPS) / max(1, total_steps - WARMUP_STEPS)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def save_fp16(model, tokenizer, out_dir: Path) -> None:
    """fp16 safetensors (half the bytes); training continues from the fp32 weights in memory."""
    copy.deepcopy(model).to(torch.float16).save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


def build(out: Path) -> dict[str, float]:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

    seed_everything(SEED)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    texts = training_texts()
    tokenizer = train_tokenizer(texts, out / "stoney-base")
    rows = encode(tokenizer, texts)
    timings["tokenizer"] = time.perf_counter() - started
    print(f"{len(texts)} training rows, vocab {len(tokenizer)}, mean {sum(map(len, rows)) / len(rows):.0f} tokens")

    config = GPT2Config(vocab_size=len(tokenizer), n_positions=CONTEXT, n_embd=192, n_layer=4, n_head=4,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    model = GPT2LMHeadModel(config)
    print(f"GPT-2: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    steps_per_epoch = math.ceil(len(rows) / BATCH_SIZE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    scheduler = schedule(optimizer, steps_per_epoch * (BASE_EPOCHS + V2_EPOCHS))

    started = time.perf_counter()
    run_epochs(model, rows, tokenizer.pad_token_id, optimizer, scheduler, range(BASE_EPOCHS), "base")
    save_fp16(model, tokenizer, out / "stoney-base")
    timings["base"] = time.perf_counter() - started

    started = time.perf_counter()
    run_epochs(model, rows, tokenizer.pad_token_id, optimizer, scheduler,
               range(BASE_EPOCHS, BASE_EPOCHS + V2_EPOCHS), "v2")
    save_fp16(model, tokenizer, out / "stoney-v2")
    timings["v2"] = time.perf_counter() - started

    # The adapter is trained on the *saved* v2 (fp16-rounded), i.e. exactly the weights its manifest loads.
    started = time.perf_counter()
    torch.manual_seed(SEED + 1000)
    v2 = AutoModelForCausalLM.from_pretrained(out / "stoney-v2", local_files_only=True, dtype=torch.float32)
    lora = get_peft_model(v2, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["c_attn"],
                                         fan_in_fan_out=True, task_type="CAUSAL_LM"))
    lora_optimizer = torch.optim.AdamW([p for p in lora.parameters() if p.requires_grad], lr=LORA_LEARNING_RATE)
    lora_scheduler = schedule(lora_optimizer, steps_per_epoch * LORA_EPOCHS)
    first = BASE_EPOCHS + V2_EPOCHS
    run_epochs(lora, rows, tokenizer.pad_token_id, lora_optimizer, lora_scheduler,
               range(first, first + LORA_EPOCHS), "lora")
    # Record the base as the sibling folder, not this machine's absolute path (the manifest names the real
    # base anyway), and drop peft's boilerplate model card: checkpoints/README.md documents the adapter.
    lora.peft_config["default"].base_model_name_or_path = "../stoney-v2"
    lora.save_pretrained(out / "stoney-v3-lora", save_embedding_layers=False)
    (out / "stoney-v3-lora" / "README.md").unlink(missing_ok=True)
    timings["lora"] = time.perf_counter() - started
    return timings


MANIFEST = """\
name = "{name}"
backend = "transformers"
model = "{model}"
{adapter}{parent}prompt_format = "Q: {{prompt}}\\nA:"
include_system = false
training_data = "demo/data/train.jsonl"
notes = "{notes}"

[generation]
temperature = 0.0
max_tokens = 64
repetition_penalty = 1.1
no_repeat_ngram_size = 3
stop = ["\\nQ:"]
"""

NOTES = {
    "stoney-base": f"Tiny demo GPT-2 (4 layers, 192 wide, 2,000-token byte-level BPE) trained from scratch for "
                   f"{BASE_EPOCHS} epochs on demo/data/train.jsonl by checkpoints/build_demo.py (seed {SEED}). "
                   f"Exercises the harness; not a useful translator.",
    "stoney-v2": f"stoney-base trained {V2_EPOCHS} more epochs (same run, same seed {SEED}). Tiny demo model, "
                 f"not a useful translator.",
    "stoney-v3-lora": f"LoRA adapter (r=8, alpha 16, c_attn) trained {LORA_EPOCHS} epochs on top of stoney-v2 "
                      f"(seed {SEED}). Tiny demo model, not a useful translator.",
}


def write_manifests() -> None:
    specs = [("stoney-base", "demo/stoney-base", None, None),
             ("stoney-v2", "demo/stoney-v2", None, "stoney-base"),
             ("stoney-v3-lora", "demo/stoney-v2", "demo/stoney-v3-lora", "stoney-v2")]
    for name, model, adapter, parent in specs:
        text = MANIFEST.format(name=name, model=model, notes=NOTES[name],
                               adapter=f'adapter = "{adapter}"\n' if adapter else "",
                               parent=f'parent = "{parent}"\n' if parent else "")
        (HERE / f"{name}.toml").write_text(text, encoding="utf-8")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(names: list[str]) -> dict[str, float]:
    """Held-out corpus chrF++ on stoney-dictionary-qa (sacrebleu CHRF(word_order=2)), after all training."""
    from sacrebleu.metrics import CHRF

    from evalharness.backends.base import Request
    from evalharness.backends.transformers_backend import TransformersBackend
    from evalharness.checkpoints import load_checkpoint
    from evalharness.suites import load_suite

    suite = load_suite(ROOT / "suites" / "stoney-dictionary-qa")
    requests = [Request(item.id, item.prompt, item.system) for item in suite.items]
    refs = [item.reference for item in suite.items]
    scores = {}
    for name in names:
        started = time.perf_counter()
        backend = TransformersBackend(load_checkpoint(HERE / f"{name}.toml"))
        generations = list(backend.generate(requests))
        assert all(g.status == "ok" for g in generations), [g.error for g in generations if g.status != "ok"]
        metric = CHRF(word_order=2)
        scores[name] = metric.corpus_score([g.text or "" for g in generations], [refs]).score
        print(f"  {name}: chrF++ {scores[name]:.2f} on {len(refs)} items ({time.perf_counter() - started:.1f} s)"
              f" [{metric.get_signature()}]", flush=True)
        print(f"    e.g. {suite.items[0].id}: {generations[0].text!r}")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(HERE / "demo"), help="where the model folders go")
    parser.add_argument("--threads", type=int, default=2, help="fixed so float reductions happen in one order")
    parser.add_argument("--no-eval", action="store_true", help="skip measuring held-out chrF++")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    cpu_started = time.process_time()
    timings = build(out)
    total = sum(timings.values())
    print("training time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; total {total:.1f} s "
          f"wall, {time.process_time() - cpu_started:.1f} s CPU ({args.threads} threads)")
    write_manifests()
    for name in ("stoney-base", "stoney-v2", "stoney-v3-lora"):
        print(f"  {name}: {folder_size(out / name) / 1e6:.2f} MB")
    if not args.no_eval and out == HERE / "demo":
        measure(["stoney-base", "stoney-v2", "stoney-v3-lora"])


if __name__ == "__main__":
    main()
