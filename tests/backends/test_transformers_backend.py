"""The transformers backend against the bundled demo checkpoints (built by checkpoints/build_demo.py).

Log-likelihoods are checked against an independent plain-torch computation, not the backend's helpers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402

from evalharness.backends import make_backend  # noqa: E402
from evalharness.backends.base import Backend, Request  # noqa: E402
from evalharness.backends.transformers_backend import TransformersBackend  # noqa: E402
from evalharness.checkpoints import Checkpoint, load_checkpoint  # noqa: E402
from evalharness.errors import InputError  # noqa: E402
from evalharness.suites import load_suite  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = ROOT / "checkpoints"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def v2() -> Checkpoint:
    return load_checkpoint(CHECKPOINTS / "stoney-v2.toml")


@pytest.fixture(scope="module")
def v2_backend(v2: Checkpoint) -> TransformersBackend:
    return TransformersBackend(v2, batch_size=4)


@pytest.fixture(scope="module")
def items():
    return load_suite(ROOT / "suites" / "stoney-dictionary-qa").items[:6]


def requests_for(items, with_reference: bool = False) -> list[Request]:
    return [Request(i.id, i.prompt, i.system, i.reference if with_reference else None) for i in items]


def test_backend_shape(v2_backend: TransformersBackend) -> None:
    assert isinstance(v2_backend, Backend)
    assert v2_backend.name == "transformers"
    assert v2_backend.supports_loglikelihood is True
    assert v2_backend.unsupported_reason is None


def test_make_backend_builds_it(v2: Checkpoint) -> None:
    assert isinstance(make_backend(v2), TransformersBackend)


def independent_loglikelihood(model_dir: Path, prompt: str, reference: str) -> tuple[float, int]:
    """Plain torch: tokenizer's own template (BOS, as in training), one forward pass, log_softmax, gather."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True, dtype=torch.float32).eval()
    context = f"Q: {prompt}\nA:"
    context_ids = tokenizer(context)["input_ids"]
    full_ids = tokenizer(context + " " + reference)["input_ids"]
    assert full_ids[0] == tokenizer.bos_token_id
    assert full_ids[:len(context_ids)] == context_ids  # byte-level BPE: clean boundary before " word"
    with torch.no_grad():
        logits = model(torch.tensor([full_ids])).logits[0]
    logprobs = torch.log_softmax(logits.double(), dim=-1)
    total = sum(float(logprobs[t - 1, full_ids[t]]) for t in range(len(context_ids), len(full_ids)))
    return total, len(full_ids) - len(context_ids)


def test_loglikelihood_matches_plain_torch(v2: Checkpoint, v2_backend: TransformersBackend, items) -> None:
    # batched by length, so results arrive in that order; the runner files each by its item id
    by_id = {r.item_id: r for r in v2_backend.loglikelihood(requests_for(items, with_reference=True))}
    assert sorted(by_id) == sorted(i.id for i in items)
    model_dir = v2.resolve(v2.model)
    for item, result in ((i, by_id[i.id]) for i in items[:4]):
        expected, n_tokens = independent_loglikelihood(model_dir, item.prompt, item.reference)
        assert result.status == "ok"
        assert result.nats is not None and result.nats <= 0
        assert result.nats == pytest.approx(expected, abs=1e-4)
        assert result.tokens == n_tokens
        assert result.chars == len(item.reference)
        assert result.bytes == len(item.reference.encode("utf-8"))


def test_loglikelihood_does_not_depend_on_batching(v2: Checkpoint, items) -> None:
    batched = {r.item_id: r for r in TransformersBackend(v2, batch_size=6).loglikelihood(requests_for(items, True))}
    single = {r.item_id: r for r in TransformersBackend(v2, batch_size=1).loglikelihood(requests_for(items, True))}
    assert batched.keys() == single.keys()
    for a, b in ((batched[k], single[k]) for k in batched):
        assert a.nats == pytest.approx(b.nats, abs=1e-4) and a.tokens == b.tokens


def test_loglikelihood_without_reference_fails_with_reason(v2_backend: TransformersBackend) -> None:
    (result,) = v2_backend.loglikelihood([Request("x", "What does 'mînî' mean?", None, None)])
    assert result.status == "failed" and result.nats is None and "reference" in (result.error or "")


def test_generate_one_per_request_and_deterministic(v2_backend: TransformersBackend, items) -> None:
    first = list(v2_backend.generate(requests_for(items)))
    second = list(v2_backend.generate(requests_for(items)))
    assert sorted(g.item_id for g in first) == sorted(i.id for i in items)  # one each, filed by id
    def key(g):
        return (g.item_id, g.status, g.text, g.prompt_tokens, g.completion_tokens)

    assert [key(g) for g in first] == [key(g) for g in second]
    for g in first:
        assert g.status == "ok" and isinstance(g.text, str) and g.text.strip()
        assert "\nQ:" not in g.text  # stop string honoured
        assert g.prompt_tokens and g.prompt_tokens > 0
        assert g.completion_tokens and 0 < g.completion_tokens <= v2_backend.checkpoint.generation.max_tokens
        assert g.latency_s is not None and g.latency_s >= 0


def test_batch_of_mixed_lengths_equals_one_at_a_time(v2: Checkpoint, items) -> None:
    requests = requests_for(items) + [Request("short", "What does 'mînî' mean?")]
    lengths = {len(r.prompt) for r in requests}
    assert max(lengths) > 2 * min(lengths)  # the batch really needs padding
    batched = {g.item_id: g.text for g in TransformersBackend(v2, batch_size=len(requests)).generate(requests)}
    single = {g.item_id: g.text for g in TransformersBackend(v2, batch_size=1).generate(requests)}
    assert batched == single


def test_too_long_prompt_fails_alone_with_reason(v2_backend: TransformersBackend) -> None:
    requests = [Request("ok", "What does 'mînî' mean?"), Request("long", "word " * 2000)]
    results = {g.item_id: g for g in v2_backend.generate(requests)}
    assert results["ok"].status == "ok" and results["ok"].text
    assert results["long"].status == "failed" and results["long"].text is None
    assert "context" in (results["long"].error or "")


def test_lora_checkpoint_loads_and_differs_from_its_base(v2_backend: TransformersBackend, items) -> None:
    lora = load_checkpoint(CHECKPOINTS / "stoney-v3-lora.toml")
    assert lora.adapter and lora.model == "demo/stoney-v2"
    lora_backend = TransformersBackend(lora, batch_size=4)
    lora_ll = {r.item_id: r.nats for r in lora_backend.loglikelihood(requests_for(items, True))}
    base_ll = {r.item_id: r.nats for r in v2_backend.loglikelihood(requests_for(items, True))}
    assert all(lora_ll[k] != pytest.approx(base_ll[k], abs=1e-3) for k in base_ll)
    lora_text = {g.item_id: g.text for g in lora_backend.generate(requests_for(items))}
    base_text = {g.item_id: g.text for g in v2_backend.generate(requests_for(items))}
    assert lora_text != base_text
    assert lora.identity != load_checkpoint(CHECKPOINTS / "stoney-v2.toml").identity


def write_manifest(tmp_path: Path, **fields: str) -> Path:
    body = {"name": "broken", "backend": "transformers", "model": "no-such-folder", **fields}
    path = tmp_path / "broken.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in body.items()), encoding="utf-8")
    return path


def test_missing_weights_folder_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_checkpoint(write_manifest(tmp_path))
    assert caught.value.field == "model" and "no-such-folder" in str(caught.value)


def test_backend_itself_rejects_a_missing_folder(tmp_path: Path) -> None:
    """A Checkpoint built in code skips the manifest loader's check; the backend still says which field."""
    checkpoint = Checkpoint(name="x", backend="transformers", model="no-such-folder",
                            manifest_path=str(tmp_path / "x.toml"))
    with pytest.raises(InputError) as caught:
        TransformersBackend(checkpoint)
    assert caught.value.field == "model"


def test_missing_adapter_names_the_field(tmp_path: Path) -> None:
    model = CHECKPOINTS / "demo" / "stoney-v2"
    with pytest.raises(InputError) as caught:
        load_checkpoint(write_manifest(tmp_path, model=str(model), adapter="no-such-adapter"))
    assert caught.value.field == "adapter"


def test_invalid_batch_size_is_an_input_error(v2: Checkpoint) -> None:
    with pytest.raises(InputError):
        TransformersBackend(v2, batch_size=0)
