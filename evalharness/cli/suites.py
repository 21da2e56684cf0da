"""`evalharness suites import|split|validate|contamination`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import IncompleteRunError, InputError
from .common import console, print_json

app = typer.Typer(no_args_is_help=True, help="Build, split, validate and check suites.")


@app.command("import")
def import_(
    fmt: Annotated[str, typer.Argument(help="openai-chat | seed-qa | dictionary")],
    source: Path,
    out: Annotated[Path, typer.Option("--out", "-o", help="suite folder to create")],
    name: Annotated[str | None, typer.Option(help="suite name (default: the folder name)")] = None,
    version: str = "1.0.0",
    description: str = "",
    license: Annotated[str, typer.Option(help="licence or permission of the source")] = "unspecified",
    provenance: Annotated[str, typer.Option(help="where the data came from (required in spirit: be specific)")] = "",
    allow: Annotated[list[str] | None, typer.Option(help="allowed use; repeat (default-deny)")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a seed-format file as a dictionary-Q&A suite. Every record becomes an item or an error."""
    from ..importers import IMPORTERS
    from ..suites import Governance, Provenance, SuiteMeta, make_suite, save_suite

    if fmt not in IMPORTERS:
        raise InputError(f"unknown format '{fmt}'", field="format", hint=f"allowed: {', '.join(IMPORTERS)}")
    items = IMPORTERS[fmt](source)
    meta = SuiteMeta(
        name=name or out.name,
        version=version,
        kind="dictionary_qa",
        description=description or f"Imported from {source.name} ({fmt})",
        license=license,
        provenance=Provenance(source=provenance or str(source), derived_by=f"evalharness suites import {fmt}"),
        governance=Governance(allowed_uses=allow or []),
    )
    suite = make_suite(meta, items)
    save_suite(suite, out)
    if json_out:
        print_json({"suite": suite.name, "items": len(items), "path": str(out), "content_hash": suite.content_hash})
    else:
        console.print(
            f"imported {len(items)} items from {source} into {out} (hash {suite.content_hash[:12]}); "
            f"allowed uses: {', '.join(meta.governance.allowed_uses) or 'none (default-deny)'}"
        )


@app.command("split")
def split(
    suite_dir: Path,
    test_size: Annotated[int, typer.Option(help="held-out items wanted (whole headword groups: may be a few more)")],
    out_test: Annotated[Path, typer.Option(help="folder for the held-out suite")],
    out_train: Annotated[Path, typer.Option(help="JSONL file for the training part (native items)")],
    seed: int = 13,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Seeded held-out split by headword: no headword is on both sides."""
    from ..jsonl import write_jsonl
    from ..split import shared_headwords, split_by_headword
    from ..suites import load_suite, make_suite, save_suite

    suite = load_suite(suite_dir)
    result = split_by_headword(suite.items, test_size=test_size, seed=seed)
    meta = suite.meta.model_copy(
        update={
            "name": out_test.name,
            "provenance": suite.meta.provenance.model_copy(
                update={"derived_by": f"evalharness suites split {suite.name} --test-size {test_size} --seed {seed}"}
            ),
        }
    )
    test_suite = make_suite(meta, result.test)
    save_suite(test_suite, out_test)
    write_jsonl(out_train, [i.to_json() for i in result.train])
    summary = {
        "test": len(result.test),
        "train": len(result.train),
        "groups": result.groups,
        "seed": seed,
        "shared_headwords": len(shared_headwords(result.train, result.test)),
    }
    print_json(summary) if json_out else console.print(summary)


@app.command("validate")
def validate(suite_dirs: list[Path], json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Load and check suites: schema, every line, unique ids. Exit 2 on the first problem."""
    from ..suites import load_suite

    report: list[dict[str, Any]] = []
    for d in suite_dirs:
        suite = load_suite(d)
        report.append(
            {
                "suite": suite.name,
                "version": suite.meta.version,
                "kind": suite.meta.kind,
                "items": len(suite.items),
                "content_hash": suite.content_hash,
                "allowed_uses": suite.meta.governance.allowed_uses,
            }
        )
    if json_out:
        print_json(report)
    else:
        for r in report:
            console.print(
                f"[green]ok[/] {r['suite']} {r['version']} ({r['kind']}): {r['items']} items, "
                f"hash {r['content_hash'][:12]}, allowed: {', '.join(r['allowed_uses']) or 'none'}"
            )


@app.command("contamination")
def contamination(
    suite_dir: Path,
    training: Annotated[Path, typer.Option(help="training file (OpenAI chat JSONL or native items)")],
    threshold: Annotated[float, typer.Option(help="near-duplicate similarity, 0–100")] = 90.0,
    max_fraction: Annotated[float, typer.Option(help="largest tolerated share of flagged items")] = 0.0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Flag suite items that (nearly) appear in a training file; exit 1 above --max-fraction."""
    from ..contamination import check
    from ..suites import load_suite

    report = check(load_suite(suite_dir), training, threshold=threshold, max_fraction=max_fraction)
    if json_out:
        print_json(report.to_json())
    else:
        console.print(
            f"{report.suite}: {len(report.hits)}/{report.n_items} items flagged "
            f"({100 * report.fraction:.1f}%; exact {sum(h.kind == 'exact' for h in report.hits)}, "
            f"near {sum(h.kind == 'near' for h in report.hits)}) against {report.n_training} training rows"
        )
        for hit in report.hits[:20]:
            console.print(f"  {hit.item_id}: {hit.kind} ({hit.similarity:.0f}) ~ training row {hit.training_index + 1}")
    if report.contaminated:
        raise ContaminatedError(
            f"contamination {100 * report.fraction:.1f}% exceeds --max-fraction {100 * max_fraction:.1f}%"
        )


class ContaminatedError(IncompleteRunError):
    exit_code = 1
