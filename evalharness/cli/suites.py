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
    language: Annotated[
        str, typer.Option(help="language card of the suite (languages/<code>.toml); '' for none")
    ] = "sto",
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="import the valid records; write every rejected one with its reason to --rejects"
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="rejects file for --skip-invalid (default: <out>.rejects.jsonl beside the suite folder)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a seed-format file as a dictionary-Q&A suite. Every record becomes an item, a merged duplicate
    (counted) or an error: all errors are reported at once, and nothing is written unless --skip-invalid."""
    from ..importers import FORMATS, import_file
    from ..language import load_language
    from ..suites import Governance, Provenance, SuiteMeta, make_suite, save_suite

    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'", field="format", hint=f"allowed: {', '.join(FORMATS)}")
    lang = load_language(language) if language else None
    result = import_file(fmt, source, language=lang)
    if result.rejected and not skip_invalid:
        result.raise_if_rejected()
    if not result.items:
        raise InputError("no valid record to import", path=source, hint="see the rejects file for every reason")
    meta = SuiteMeta(
        name=name or out.name,
        version=version,
        kind="dictionary_qa",
        description=description or f"Imported from {source.name} ({fmt})",
        license=license,
        language=lang.code if lang else "",
        provenance=Provenance(
            source=provenance or str(source),
            source_path=str(source),
            source_sha256=result.sha256,
            derived_by=f"evalharness suites import {fmt}",
            notes=result.summary(),
        ),
        governance=Governance(allowed_uses=allow or []),
    )
    suite = make_suite(meta, result.items)
    rejects_path = None
    if skip_invalid:
        rejects_path = rejects or out.with_name(out.name + ".rejects.jsonl")
        result.write_rejects(rejects_path)
    save_suite(suite, out)
    if json_out:
        print_json(
            {
                "suite": suite.name,
                "path": str(out),
                "content_hash": suite.content_hash,
                **result.to_json(),
                "rejects_file": str(rejects_path) if rejects_path else None,
            }
        )
    else:
        console.print(
            f"imported {result.summary()} into {out} (hash {suite.content_hash[:12]}); "
            f"allowed uses: {', '.join(meta.governance.allowed_uses) or 'none (default-deny)'}",
            markup=False,
        )
        if rejects_path is not None:
            console.print(f"{len(result.rejected)} rejected record(s) with their reasons: {rejects_path}", markup=False)


@app.command("split")
def split(
    suite_dir: Path,
    test_size: Annotated[int, typer.Option(help="held-out items wanted (whole headword groups: may be a few more)")],
    out_test: Annotated[Path, typer.Option(help="folder for the held-out suite")],
    out_train: Annotated[Path, typer.Option(help="JSONL file for the training part (native items)")],
    seed: int = 13,
    language: Annotated[str | None, typer.Option(help="language card (default: the suite's own)")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Seeded held-out split: items sharing a word (folded spelling) or a normalised prompt stay on one side."""
    from ..governance import require
    from ..jsonl import write_jsonl
    from ..language import load_language
    from ..split import shared_headwords, split_by_headword
    from ..suites import load_suite, make_suite, save_suite

    suite = load_suite(suite_dir)
    require(suite, "training", purpose=f"writing its items as training data to {out_train}")
    lang = load_language(language) if language else suite.language()
    result = split_by_headword(suite.items, test_size=test_size, seed=seed, language=lang)
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
        "largest_group": result.largest_group,
        "seed": seed,
        "language": lang.code if lang else None,
        "shared_headwords": len(shared_headwords(result.train, result.test, lang)),
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
    training: Annotated[
        Path, typer.Option(help="training file: OpenAI chat JSONL, seed Q&A, a seed dictionary, or native items")
    ],
    threshold: Annotated[float, typer.Option(help="near-duplicate similarity, 0–100")] = 90.0,
    max_fraction: Annotated[float, typer.Option(help="largest tolerated share of flagged items")] = 0.0,
    language: Annotated[str | None, typer.Option(help="language card (default: the suite's own)")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Flag suite items that appear in a training file — exact, near, or by word (a held-out word anywhere
    in a training row); exit 1 above --max-fraction."""
    from ..contamination import check
    from ..language import load_language
    from ..suites import load_suite

    report = check(
        load_suite(suite_dir),
        training,
        threshold=threshold,
        max_fraction=max_fraction,
        language=load_language(language) if language else None,
    )
    if json_out:
        print_json(report.to_json())
    else:
        counts = report.counts()
        word_level = (
            f"word {counts['word']} ({len(report.leaked_words)} held-out words in training)"
            if report.leaked_words is not None
            else "word: not checked (the suite names no language)"
        )
        console.print(
            f"{report.suite}: {len(report.hits)}/{report.n_items} items flagged "
            f"({100 * report.fraction:.1f}%; exact {counts['exact']}, near {counts['near']}, {word_level}) "
            f"against {report.n_training} training rows",
            markup=False,
        )
        for kind in ("exact", "near", "word"):
            for hit in report.examples(kind):
                words = f" words {', '.join(hit.words)}" if hit.words else ""
                console.print(
                    f"  {hit.item_id}: {kind} ({hit.similarity:.0f}){words} ~ training row {hit.training_index + 1}",
                    markup=False,
                )
    if report.contaminated:
        raise ContaminatedError(
            f"contamination {100 * report.fraction:.1f}% exceeds --max-fraction {100 * max_fraction:.1f}%"
        )


class ContaminatedError(IncompleteRunError):
    exit_code = 1
