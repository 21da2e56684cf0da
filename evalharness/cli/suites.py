"""`evalharness suites import|split|validate|contamination`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import IncompleteRunError, InputError
from .common import JsonOpt, console, err_console, print_json, styled

app = typer.Typer(no_args_is_help=True, help="Build, split, validate and check suites.")


@app.command("import")
def import_(
    fmt: Annotated[str, typer.Argument(help="openai-chat | seed-qa | dictionary")],
    source: Annotated[Path, typer.Argument(help="the file to import, in the format named first")],
    out: Annotated[Path, typer.Option("--out", "-o", help="suite folder to create")],
    name: Annotated[str | None, typer.Option(help="suite name (default: the folder name)")] = None,
    version: Annotated[str, typer.Option(help="the new suite's version (part of its identity)")] = "1.0.0",
    description: Annotated[str, typer.Option(help="one line on what the suite tests")] = "",
    license: Annotated[str, typer.Option(help="licence or permission of the source")] = "unspecified",
    provenance: Annotated[str, typer.Option(help="where the data came from (required in spirit: be specific)")] = "",
    allow: Annotated[list[str] | None, typer.Option(help="allowed use; repeat (default-deny)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a seed-format file as a dictionary-Q&A suite. Every record becomes an item or an error."""
    from ..importers import IMPORTERS
    from ..suites import Governance, Provenance, SuiteMeta, check_suite_name, make_suite, save_suite

    if fmt not in IMPORTERS:
        raise InputError(f"unknown format '{fmt}'", field="format", hint=f"allowed: {', '.join(IMPORTERS)}")
    if name is not None:
        check_suite_name(name, field="--name")
    else:
        check_suite_name(out.name, field="--out", hint="the suite is named after its folder; pass --name NAME")
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
    if not meta.governance.allowed_uses:
        err_console.print(
            f"note: no use is allowed, so nothing can be done with this suite yet — not even `evalharness run`. If "
            f"the community that owns the data approves, import again with `--allow evaluation` (repeat --allow for "
            f"more uses) or add the uses to [governance] allowed_uses in {out / 'suite.toml'}.",
            highlight=False,
        )


@app.command("split")
def split(
    suite_dir: Annotated[Path, typer.Argument(help="suite folder (items.jsonl + suite.toml) to split")],
    test_size: Annotated[int, typer.Option(help="held-out items wanted (whole headword groups: may be a few more)")],
    out_test: Annotated[Path, typer.Option(help="folder for the held-out suite")],
    out_train: Annotated[Path, typer.Option(help="JSONL file for the training part (native items)")],
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same split")] = 13,
    json_out: JsonOpt = False,
) -> None:
    """Seeded held-out split by headword: no headword is on both sides."""
    from ..jsonl import write_jsonl
    from ..split import shared_headwords, split_by_headword
    from ..suites import check_suite_name, load_suite, make_suite, save_suite

    check_suite_name(out_test.name, field="--out-test", hint="the held-out suite is named after its folder")
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
    if json_out:
        print_json(summary)
        return
    console.print(
        f"split {suite.name} ({len(suite.items)} items) by headword, seed {seed}, into {result.groups} headword "
        f"groups:\n  held out: {len(result.test)} items → {out_test} (suite '{out_test.name}')\n"
        f"  training: {len(result.train)} items → {out_train}\n"
        f"  headwords on both sides: {summary['shared_headwords']}",
        highlight=False,
    )


@app.command("validate")
def validate(
    suite_dirs: Annotated[list[Path], typer.Argument(help="suite folders (other paths, e.g. a README, are skipped)")],
    json_out: JsonOpt = False,
) -> None:
    """Load and check suites: schema, every line, unique ids. Exit 2 on the first problem."""
    from ..suites import load_suite

    report: list[dict[str, Any]] = []
    # `suites validate suites/*` also matches suites/README.md: a file is not a suite, so it is skipped with a
    # note; a path that does not exist is still an error (a typo must not pass silently).
    skipped = [d for d in suite_dirs if d.is_file()]
    for path in skipped:
        err_console.print(f"skipped {path}: a file, not a suite folder", style="dim", highlight=False)
    if len(skipped) == len(suite_dirs):
        raise InputError(
            "no suite folder among the paths given", field="suite_dirs", hint="pass folders holding items.jsonl"
        )
    for d in (d for d in suite_dirs if not d.is_file()):
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
                styled(
                    ("ok", "green"),
                    f" {r['suite']} {r['version']} ({r['kind']}): {r['items']} items, "
                    f"hash {r['content_hash'][:12]}, allowed: {', '.join(r['allowed_uses']) or 'none'}",
                )
            )


@app.command("contamination")
def contamination(
    suite_dir: Annotated[Path, typer.Argument(help="suite folder (items.jsonl + suite.toml) to check")],
    training: Annotated[Path, typer.Option(help="training file (OpenAI chat JSONL or native items)")],
    threshold: Annotated[float, typer.Option(help="near-duplicate similarity, 0–100")] = 90.0,
    max_fraction: Annotated[float, typer.Option(help="largest tolerated share of flagged items")] = 0.0,
    json_out: JsonOpt = False,
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
