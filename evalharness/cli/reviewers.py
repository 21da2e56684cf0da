"""`evalharness reviewers add|list|password|role|unlock|remove` and `evalharness corrections list|export|publish`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import InputError
from .common import JsonOpt, console, load, print_json
from .run import ConfigOpt, DbOpt

app = typer.Typer(no_args_is_help=True, help="Dashboard accounts for community reviewers and admins.")
corrections_app = typer.Typer(no_args_is_help=True, help="Reviewers' narrative corrections: list, export, publish.")


def _password(from_stdin: bool, name: str) -> str:
    """Asked for twice, never echoed, never taken from the command line (it would sit in shell history)."""
    from ..community import accounts

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = accounts.check_strength(password, user_inputs=[name])
    if problem:
        raise InputError(f"password too weak: {problem}", field="password")
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of standard input (for scripts)")
]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the name the person signs in with and is credited by")],
    role: Annotated[str, typer.Option("--role", help="reviewer | admin")] = "reviewer",
    password_stdin: PasswordStdin = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Create an account. Admins also accept or reject corrections and publish them."""
    from ..community import accounts

    if role not in accounts.ROLES:
        raise InputError(f"unknown role '{role}'", field="--role", hint="use reviewer or admin")
    _, store = load(config, db)
    account = accounts.add_reviewer(store, name, role, _password(password_stdin, name))
    console.print(f"added {account.role} '{account.name}' to {store.display}")


@app.command("password")
def password(
    name: Annotated[str, typer.Argument(help="the account's sign-in name")],
    password_stdin: PasswordStdin = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Set a new password for an account. This also lifts every lock and signs its open sessions out."""
    from ..community import accounts

    _, store = load(config, db)
    accounts.set_password(store, name, _password(password_stdin, name))
    console.print(f"new password set for '{name}'; its open sessions are signed out")


@app.command("role")
def role(
    name: Annotated[str, typer.Argument(help="the account's sign-in name")],
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="reviewer | admin")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Make an account a reviewer or an admin. Its open sessions are signed out."""
    from ..community import accounts

    _, store = load(config, db)
    accounts.set_role(store, name, new_role)
    console.print(f"'{name}' is now {new_role}; its open sessions are signed out")


@app.command("unlock")
def unlock(
    name: Annotated[str, typer.Argument(help="the account's sign-in name")], config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Lift every wrong-password lock on a name, from every address (the password stays as it is)."""
    from ..community import accounts

    _, store = load(config, db)
    lifted = accounts.unlock(store, name)
    console.print(f"unlocked '{name}' ({lifted} address(es) had wrong passwords counted)")


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="the account's sign-in name")], config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Delete an account. Its open sessions end at their next page or save; what it wrote stays, credited."""
    from ..community import accounts

    _, store = load(config, db)
    removed = accounts.remove_reviewer(store, name)
    console.print(f"removed '{removed}'")


@app.command("list")
def list_(config: ConfigOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Every account with its role and whether it is locked. Passwords are never shown."""
    from ..community import accounts

    _, store = load(config, db)
    rows = accounts.list_accounts(store) if store.exists() else []
    if json_out:
        print_json(
            [
                {
                    "name": a.name,
                    "role": a.role,
                    "created_at": a.created_at,
                    "failed_attempts": a.failed_attempts,
                    "locked_until": a.locked_until,
                }
                for a in rows
            ]
        )
        return
    table = Table(title=f"Reviewers in {store.display}")
    for col in ("name", "role", "created", "most wrong passwords from one address", "locked until (some address)"):
        table.add_column(col)
    for a in rows:
        table.add_row(
            a.name,
            a.role,
            str(a.created_at)[:19],
            str(a.failed_attempts),
            str(a.locked_until)[:19] if a.locked_until else "—",
        )
    console.print(table)


@corrections_app.command("list")
def corrections_list(
    status: Annotated[str | None, typer.Option(help="pending | accepted | rejected")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Corrections with who wrote them, when, and what an admin decided."""
    from ..community import reviews

    _, store = load(config, db)
    rows = reviews.list_corrections(store, status, limit=1_000_000) if store.exists() else []
    if json_out:
        print_json([r.__dict__ for r in rows])
        return
    table = Table(title=f"Corrections in {store.display}")
    for col in ("id", "item", "author", "written", "status", "by", "narrative"):
        table.add_column(col)
    for c in rows:
        table.add_row(
            c.correction_id,
            c.item_id,
            c.author,
            str(c.created_at)[:16],
            c.status,
            c.reviewed_by or "—",
            c.narrative[:60] + ("…" if len(c.narrative) > 60 else ""),
        )
    console.print(table)


@corrections_app.command("export")
def corrections_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="triplets | openai-chat | preference")] = "triplets",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Accepted corrections as distillation triplets, OpenAI chat fine-tuning lines, or preference pairs.

    Spoken corrections' recordings are written beside the file as audio/<sha256>.wav, listed in
    <name>.audio.jsonl."""
    from ..community import exports

    cfg, store = load(config, db)
    done = exports.export_to(store, fmt, out, search_dirs=[cfg.resolve(cfg.run.suites_dir)])
    console.print(f"wrote {len(done.rows)} accepted correction(s) as {fmt} to {out}")
    if done.recordings:
        console.print(
            f"with {len(done.recordings)} recording(s) in {out.parent / 'audio'} "
            f"(which line each belongs to: {out.with_name(exports.index_name(out.name))})"
        )


@corrections_app.command("publish")
def corrections_publish(
    by: Annotated[str, typer.Option("--by", help="the admin publishing (credited in the provenance)")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="suite folder (default: \\[dashboard] corrections_suite_dir)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="suite name (default: \\[dashboard] corrections_suite)")] = None,
    version: Annotated[str | None, typer.Option(help="new version (default: the previous one, bumped)")] = None,
    allow_widening: Annotated[
        bool,
        typer.Option(
            "--allow-widening",
            help="let the new version allow uses the previous version did not (only when the community has "
            "agreed; logged with your name)",
        ),
    ] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write accepted corrections as the next version of the narrative-correction suite."""
    from ..community import accounts
    from ..community.publish import publish_corrections

    cfg, store = load(config, db)
    accounts.require_role(store, by, "admin")
    folder = out or cfg.resolve(cfg.dashboard.corrections_suite_dir)
    result = publish_corrections(
        store,
        folder,
        name=name or cfg.dashboard.corrections_suite,
        published_by=by,
        version=version,
        search_dirs=[cfg.resolve(cfg.run.suites_dir)],
        allow_widening=allow_widening,
    )
    if json_out:
        print_json(
            {
                "suite": result.suite.name,
                "version": result.suite.meta.version,
                "path": str(result.path),
                "changed": result.changed,
                "items": result.n_items,
                "added": result.n_added,
                "removed": result.n_removed,
                "content_hash": result.suite.content_hash,
                "allowed_uses": list(result.suite.meta.governance.allowed_uses),
            }
        )
    elif result.changed:
        console.print(
            f"published {result.suite.name} {result.suite.meta.version} ({result.n_items} items, "
            f"{result.n_added} new, {result.n_removed} removed) to {result.path}; allowed uses: "
            f"{', '.join(result.suite.meta.governance.allowed_uses) or 'none'}"
        )
    else:
        console.print(
            f"nothing new: {result.path} version {result.previous_version} already holds every accepted correction"
        )
