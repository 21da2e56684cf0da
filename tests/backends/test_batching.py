"""The transformers backend batches by length: fewer padded positions, the same values, every result filed by
item id; and it uses the configured batch size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from evalharness.backends import make_backend  # noqa: E402
from evalharness.backends.base import Request  # noqa: E402
from evalharness.backends.context import BackendContext  # noqa: E402
from evalharness.backends.transformers_backend import TransformersBackend  # noqa: E402
from evalharness.checkpoints import load_checkpoint  # noqa: E402
from evalharness.suites import load_suite  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend() -> TransformersBackend:
    return TransformersBackend(load_checkpoint(ROOT / "checkpoints" / "stoney-v2.toml"), batch_size=4)


@pytest.fixture(scope="module")
def requests() -> list[Request]:
    items = load_suite(ROOT / "suites" / "stoney-dictionary-qa").items[:24]
    return [Request(i.id, i.prompt, i.system, i.reference) for i in items]


class Shapes:
    """Wraps the model to record the (batch, width) of every forward pass and how many tokens were real."""

    def __init__(self, backend: TransformersBackend) -> None:
        self.backend, self.model, self.seen = backend, backend.model, []

    def __enter__(self) -> Shapes:
        model, seen = self.model, self.seen

        class Recorder:
            def __call__(self, input_ids, **kw):
                seen.append(tuple(input_ids.shape))
                return model(input_ids=input_ids, **kw)

            def generate(self, input_ids, **kw):
                seen.append(tuple(input_ids.shape))
                return model.generate(input_ids=input_ids, **kw)

            def __getattr__(self, name):
                return getattr(model, name)

        self.backend.model = Recorder()
        return self

    def __exit__(self, *exc: object) -> None:
        self.backend.model = self.model

    @property
    def positions(self) -> int:
        return sum(b * w for b, w in self.seen)


def test_loglikelihoods_are_batched_by_length_with_the_values_of_one_at_a_time(backend, requests) -> None:
    with Shapes(backend) as shapes:
        batched = {r.item_id: r for r in backend.loglikelihood(requests)}
    lengths = sorted((len(backend.tokenizer(backend._render(r) + " " + (r.reference or ""))["input_ids"])
                      for r in requests), reverse=True)
    best = sum(max(lengths[i:i + 4]) * len(lengths[i:i + 4]) for i in range(0, len(lengths), 4))
    assert shapes.positions == best  # the sorted batching's padded positions, not suite order's
    assert set(batched) == {r.item_id for r in requests}
    for request in requests[:6]:  # each value equals the item scored alone (no padding at all)
        [alone] = list(backend.loglikelihood([request]))
        assert batched[request.item_id].nats == pytest.approx(alone.nats, rel=1e-5)
        assert batched[request.item_id].tokens == alone.tokens


def test_generation_is_batched_by_prompt_length(backend, requests) -> None:
    with Shapes(backend) as shapes:
        generated = list(backend.generate(requests[:12]))
    assert sorted(g.item_id for g in generated) == sorted(r.item_id for r in requests[:12])
    prompt_lengths = sorted(len(backend.tokenizer(backend._render(r))["input_ids"]) for r in requests[:12])
    assert [w for _, w in shapes.seen] == [max(prompt_lengths[i:i + 4]) for i in range(0, 12, 4)]


def test_the_configured_batch_size_reaches_the_backend() -> None:
    checkpoint = load_checkpoint(ROOT / "checkpoints" / "stoney-base.toml")
    assert make_backend(checkpoint, BackendContext(batch_size=3)).batch_size == 3
