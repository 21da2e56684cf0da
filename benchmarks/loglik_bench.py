"""Log-likelihoods of the bundled demo checkpoints vs lm-evaluation-harness on the same (prompt, reference) pairs.

    PYTHONPATH=$PWD python benchmarks/loglik_bench.py [--batch-size 16] [--rounds 3] [--checkpoints stoney-v2 …]

For each checkpoint: the 401 items of `suites/stoney-dictionary-qa` as (rendered prompt, " " + reference)
pairs, scored by the transformers backend and — when the package `lm_eval` is installed (it is not a
dependency of evalharness: `pip install lm_eval` in a scratch venv) — by `lm_eval.models.huggingface.HFLM
.loglikelihood` on the very same model object and tokenizer (float32, `add_bos_token=True`, the BOS the demo
models were trained with). One torch thread, the same batch size, passes alternating between the two in one
process; the best of `--rounds` passes is reported — as CPU time of this process (`time.process_time`, which a
machine shared with other work disturbs far less than wall time) and as wall time — with the ratio ours /
lm-eval and the largest relative difference between the two sets of values.

Always reported: the padded/real token ratio of the backend's batches (token positions computed, padding
included, over the tokens the pairs really have) — in suite order and as the backend batches them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

from evalharness.backends.base import Request, render_prompt  # noqa: E402
from evalharness.backends.transformers_backend import TransformersBackend  # noqa: E402
from evalharness.checkpoints import find_checkpoint  # noqa: E402
from evalharness.suites import load_suite  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def padded_ratio(lengths: list[int], batch_size: int) -> float:
    """Token positions a batched forward pass computes (each batch padded to its longest) / real tokens."""
    padded = sum(max(lengths[i : i + batch_size]) * len(lengths[i : i + batch_size])
                 for i in range(0, len(lengths), batch_size))
    return padded / sum(lengths)


def lm_eval_model(backend: TransformersBackend, batch_size: int):  # -> HFLM | None
    try:
        from lm_eval.models.huggingface import HFLM
    except ImportError:
        return None
    return HFLM(pretrained=backend.model, tokenizer=backend.tokenizer, batch_size=batch_size, dtype="float32",
                add_bos_token=True, device="cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkpoints", nargs="*", default=["stoney-base", "stoney-v2", "stoney-v3-lora"])
    args = parser.parse_args()
    torch.set_num_threads(1)

    suite = load_suite(ROOT / "suites" / "stoney-dictionary-qa")
    requests = [Request(i.id, i.prompt, i.system, i.reference) for i in suite.items]
    print(f"{len(requests)} pairs of {suite.name}, batch size {args.batch_size}, 1 torch thread, "
          f"best of {args.rounds}; load average {os.getloadavg()[0]:.1f}")
    for name in args.checkpoints:
        checkpoint = find_checkpoint(name, ROOT / "checkpoints")
        backend = TransformersBackend(checkpoint, batch_size=args.batch_size)
        contexts = [render_prompt(checkpoint.prompt_format, r.prompt, r.system, checkpoint.include_system)
                    for r in requests]
        pairs = [(c, " " + (r.reference or "")) for c, r in zip(contexts, requests)]
        lengths = [len(backend.tokenizer(c + x)["input_ids"]) for c, x in pairs]
        lm = lm_eval_model(backend, args.batch_size)
        ours_s: list[float] = []  # CPU seconds
        theirs_s: list[float] = []
        ours_wall: list[float] = []
        theirs_wall: list[float] = []
        ours: dict[str, float] = {}
        theirs: list[float] = []
        for round_no in range(args.rounds):
            for side in (("ours", "lm_eval") if round_no % 2 == 0 else ("lm_eval", "ours")):
                if side == "ours":
                    t0, c0 = time.perf_counter(), time.process_time()
                    ours = {r.item_id: r.nats for r in backend.loglikelihood(requests) if r.nats is not None}
                    ours_s.append(time.process_time() - c0)
                    ours_wall.append(time.perf_counter() - t0)
                elif lm is not None:
                    from lm_eval.api.instance import Instance

                    instances = [Instance(request_type="loglikelihood", doc={}, arguments=p, idx=k)
                                 for k, p in enumerate(pairs)]
                    t0, c0 = time.perf_counter(), time.process_time()
                    theirs = [ll for ll, _ in lm.loglikelihood(instances, disable_tqdm=True)]
                    theirs_s.append(time.process_time() - c0)
                    theirs_wall.append(time.perf_counter() - t0)
        line = (f"  {name}: ours {min(ours_s):.2f} s CPU ({min(ours_wall):.2f} s wall); padded/real tokens {padded_ratio(lengths, args.batch_size):.3f} "
                f"in suite order, {padded_ratio(sorted(lengths, reverse=True), args.batch_size):.3f} sorted by length")
        if lm is None:
            line += "; lm_eval not installed: no comparison"
        else:
            diff = max(abs(ours[r.item_id] - t) / max(abs(t), 1e-12) for r, t in zip(requests, theirs))
            line += (f"; lm-eval HFLM.loglikelihood {min(theirs_s):.2f} s CPU ({min(theirs_wall):.2f} s wall); "
                     f"ratio ours/lm-eval {min(ours_s) / min(theirs_s):.3f} CPU, {min(ours_wall) / min(theirs_wall):.3f} "
                     f"wall; largest relative difference {diff:.1e}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
