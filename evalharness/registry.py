"""The one place to extend: backends and metrics, each described by one self-describing entry.

Entries are found through Python entry points — the groups `evalharness.backends` and `evalharness.metrics` —
and the built-in ones are registered exactly that way, in this package's own `pyproject.toml`. A package that
adds a backend or a metric declares, in its own `pyproject.toml`:

    [project.entry-points."evalharness.metrics"]
    my_metric = "my_package.my_metric:ENTRY"

and `pip install`s; nothing in evalharness is edited. An entry point's name is the name users write (in a
manifest's `backend = "…"` or the config's `[metrics] enabled`); it must equal the entry's own `name`.

Names are known without importing anything (the config validates them at load time); an entry's module is
imported only when the entry is asked for, so `evalharness --help` loads no backend or metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .errors import ConfigError, EvalHarnessError, InputError

if TYPE_CHECKING:
    from pathlib import Path

    from .backends.base import Backend
    from .backends.context import BackendContext
    from .checkpoints import Checkpoint
    from .config import Config
    from .metrics.base import Metric
    from .suites import Suite

BACKEND_GROUP = "evalharness.backends"
METRIC_GROUP = "evalharness.metrics"
#: the distribution whose entries are the built-ins (enabled by default; plugins are opt-in)
BUILTIN_DIST = "evalharness"

#: what a metric needs before it can be scored; each is a phase of the evaluation
Need = Literal["generation", "loglikelihood", "verdicts"]


def _no_manifest_checks(checkpoint: Checkpoint, path: Path) -> None:
    return None


def _no_preflight(checkpoint: Checkpoint, key_hosts: Mapping[str, Sequence[str]] | None = None) -> None:
    return None


def _no_identity_parts(checkpoint: Checkpoint) -> dict[str, Any]:
    return {}


def _no_loglikelihoods(checkpoint: Checkpoint) -> str | None:
    return f"the {checkpoint.backend} backend gives no log-likelihoods"


#: what a model's answer depends on: the system text and the prompt (identity and settings are always in the key)
PROMPT_INPUTS: tuple[str, ...] = ("system", "prompt")


@dataclass(frozen=True)
class BackendEntry:
    """Everything the harness needs to know about a backend, in one place.

    - `external`: prompts leave the machine (the suite must allow `external_generation`; calls are audited);
    - `key_variables`: environment variables holding its API key, tried in order (empty: none needed);
    - `check_manifest(checkpoint, path)`: raise `InputError` for a manifest that cannot work (missing files,
      missing settings) — called when the manifest is loaded, before any run exists;
    - `preflight(checkpoint, key_hosts)`: everything else checkable before the first request (a key — only from
      a variable `key_hosts`, the config's `[keys]`, ties to the request's host — unusable settings);
    - `identity_parts(checkpoint)`: what, besides backend and model id, determines its outputs (file hashes,
      a server URL); hashed into the checkpoint's identity, which keys every cache;
    - `answer_inputs`: the request fields an answer depends on — the generation cache is keyed on exactly
      these (a model answers its system text and prompt; recorded replies answer an item id);
    - `loglikelihood_unsupported(checkpoint)`: why this checkpoint cannot score a given reference (the
      perplexity metrics are then "unsupported" with this reason), or None when it can;
    - `factory(checkpoint, context)`: builds the backend; heavy imports belong inside it.
    """

    name: str
    description: str
    factory: Callable[[Checkpoint, BackendContext], Backend]
    external: bool = False
    key_variables: tuple[str, ...] = ()
    check_manifest: Callable[[Checkpoint, Path], None] = _no_manifest_checks
    preflight: Callable[[Checkpoint, Mapping[str, Sequence[str]] | None], None] = _no_preflight
    identity_parts: Callable[[Checkpoint], dict[str, Any]] = _no_identity_parts
    answer_inputs: tuple[str, ...] = PROMPT_INPUTS
    loglikelihood_unsupported: Callable[[Checkpoint], str | None] = _no_loglikelihoods


@dataclass(frozen=True)
class MetricSetup:
    """What a metric factory may read: the whole config, and the suite it will score (None when the metric is
    only needed to turn stored statistics into scores, as the gate does)."""

    config: Config
    suite: Suite | None = None


@dataclass(frozen=True)
class MetricEntry:
    """Everything the harness needs to know about a metric, in one place.

    - `label`: how tables, reports and the dashboard name it (e.g. "chrF++");
    - `higher_is_better`: its direction — never unknown;
    - `stat_names`: the per-item sufficient statistics it stores (they add up);
    - `needs`: the phases it reads — `generation` (the answer text), `loglikelihood` (the reference's
      log-likelihood under the checkpoint), `verdicts` (the judge's verdicts);
    - `unit`: shown next to the label when it is not the 0–100 scale;
    - `factory(setup)`: builds the metric from the config (and the suite it will score).
    """

    name: str
    label: str
    higher_is_better: bool
    stat_names: tuple[str, ...]
    factory: Callable[[MetricSetup], Metric]
    needs: frozenset[Need] = field(default_factory=lambda: frozenset({"generation"}))
    description: str = ""
    unit: str | None = None

    @property
    def display(self) -> str:
        """The label with a ↓ for lower-is-better metrics, as tables show it."""
        return self.label + ("" if self.higher_is_better else " ↓")


class RegistryError(EvalHarnessError):
    """An installed entry point is broken (cannot be imported, or is not an entry). Exit code 2."""

    exit_code = 2


E = TypeVar("E", BackendEntry, MetricEntry)


def _entry_points(group: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep)  # the first on the path wins, as for any import
    if group == METRIC_GROUP and not found:
        raise RegistryError(
            "no metrics are registered: evalharness's own entry points are missing, so the package is not "
            "installed (or was installed before they existed). Run `bash scripts/setup.sh` (or `pip install -e .`)."
        )
    return found


@cache
def backend_names() -> tuple[str, ...]:
    """Every registered backend name (no module is imported)."""
    return tuple(sorted(_entry_points(BACKEND_GROUP)))


@cache
def metric_names() -> tuple[str, ...]:
    """Every registered metric name (no module is imported)."""
    return tuple(sorted(_entry_points(METRIC_GROUP)))


@cache
def builtin_metric_names() -> tuple[str, ...]:
    """The metrics this package ships — the default `[metrics] enabled` (another package's are opt-in)."""
    return tuple(sorted(ep.name for ep in _entry_points(METRIC_GROUP).values() if _dist_name(ep) == BUILTIN_DIST))


def _dist_name(ep: EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None)


def _load(group: str, name: str, kind: type[E]) -> E:
    ep = _entry_points(group).get(name)
    if ep is None:
        raise KeyError(name)
    try:
        entry = ep.load()
    except Exception as exc:  # a plugin that fails to import must say which plugin it is
        raise RegistryError(
            f"the {group} entry point '{name}' ({ep.value}) cannot be loaded: {type(exc).__name__}: {exc}",
        ) from exc
    if not isinstance(entry, kind):
        raise RegistryError(
            f"the {group} entry point '{name}' ({ep.value}) is a {type(entry).__name__}, not a {kind.__name__}"
        )
    if entry.name != name:
        raise RegistryError(
            f"the {group} entry point '{name}' ({ep.value}) describes '{entry.name}'; "
            "an entry point's name must be the entry's name"
        )
    return entry


@cache
def backend(name: str) -> BackendEntry:
    """The entry of a backend, or InputError listing the known ones."""
    try:
        return _load(BACKEND_GROUP, name, BackendEntry)
    except KeyError:
        raise InputError(
            f"unknown backend '{name}'", field="backend", hint=f"known backends: {', '.join(backend_names())}"
        ) from None


#: `<metric>@extracted`: a registered text metric scored on the answer the suite's extraction found
EXTRACTED_SUFFIX = "@extracted"


@cache
def metric(name: str) -> MetricEntry:
    """The entry of a metric, or ConfigError listing the known ones. `<name>@extracted` is derived from
    `<name>`'s entry: the same metric on extracted answers (see evalharness/extraction.py)."""
    if name.endswith(EXTRACTED_SUFFIX):
        return _extracted_entry(metric(name[: -len(EXTRACTED_SUFFIX)]))
    try:
        return _load(METRIC_GROUP, name, MetricEntry)
    except KeyError:
        raise ConfigError(
            f"unknown metric '{name}'", field="metrics.enabled", hint=f"known metrics: {', '.join(metric_names())}"
        ) from None


def metric_label(name: str) -> str:
    """A metric's display label (with ↓ when lower is better); the bare name for a metric no longer installed."""
    try:
        return metric(name).display
    except (ConfigError, RegistryError):
        return name


def build_metric(name: str, setup: MetricSetup) -> Metric:
    return metric(name).factory(setup)


def unknown_metrics(names: Sequence[str]) -> list[str]:
    known = set(metric_names())
    return [n for n in names if n.removesuffix(EXTRACTED_SUFFIX) not in known]


def _extracted_entry(base: MetricEntry) -> MetricEntry:
    from .metrics.extracted import extracted_factory

    return replace(
        base,
        name=base.name + EXTRACTED_SUFFIX,
        label=base.label + " @extracted",
        factory=extracted_factory(base.factory),
        description=f"{base.description} — on the answer extracted by the suite's [extraction]",
    )
