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
    json_out: JsonOpt = False,
) -> None:
    """Import a seed-format file as a dictionary-Q&A suite. Every record becomes an item, a merged duplicate
    (counted) or an error: all errors are reported at once, and nothing is written unless --skip-invalid."""
    from ..importers import FORMATS, import_file
    from ..language import load_language
    from ..suites import Governance, Provenance, SuiteMeta, check_suite_name, make_suite, save_suite

    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'", field="format", hint=f"allowed: {', '.join(FORMATS)}")
    if name is not None:
        check_suite_name(name, field="--name")
    else:
        check_suite_name(out.name, field="--out", hint="the suite is named after its folder; pass --name NAME")
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
    language: Annotated[str | None, typer.Option(help="language card (default: the suite's own)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Seeded held-out split: items sharing a word (folded spelling) or a normalised prompt stay on one side."""
    from ..governance import require
    from ..jsonl import write_jsonl
    from ..language import load_language
    from ..split import shared_headwords, split_by_headword
    from ..suites import check_suite_name, load_suite, make_suite, save_suite

    check_suite_name(out_test.name, field="--out-test", hint="the held-out suite is named after its folder")
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
    if json_out:
        print_json(summary)
        return
    console.print(
        f"split {suite.name} ({len(suite.items)} items) by word and prompt, seed {seed}, into {result.groups} "
        f"groups:\n  held out: {len(result.test)} items → {out_test} (suite '{out_test.name}')\n"
        f"  training: {len(result.train)} items → {out_train}\n"
        f"  words on both sides: {summary['shared_headwords']}",
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
    training: Annotated[
        Path, typer.Option(help="training file: OpenAI chat JSONL, seed Q&A, a seed dictionary, or native items")
    ],
    threshold: Annotated[float, typer.Option(help="near-duplicate similarity, 0–100")] = 90.0,
    max_fraction: Annotated[float, typer.Option(help="largest tolerated share of flagged items")] = 0.0,
    language: Annotated[str | None, typer.Option(help="language card (default: the suite's own)")] = None,
    json_out: JsonOpt = False,
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
