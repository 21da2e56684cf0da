"""`evalharness review`: ask the Gemini reviewer about the project, in the terminal (streamed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .common import console, err_console, load, print_json
from .run import ConfigOpt, DbOpt

if TYPE_CHECKING:  # the reviewer (SDK, embedder) is imported only when the command runs
    from ..reviewer import Answer, Reply, ReviewSession

_QUIT = {"", "exit", "quit", ":q"}


def review(
    ask: Annotated[str | None, typer.Option("--ask", help="ask one question and exit")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the turn(s) as JSON instead of streaming")] = False,
    assess: Annotated[
        bool | None,
        typer.Option(
            "--assess/--no-assess", help="open with the reviewer's assessment (default: on, except with --ask)"
        ),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ask the reviewer about the project: it has read the docs and the latest run and gate reports, and it
    cites its sources. Without GOOGLE_API_KEY/GEMINI_API_KEY (or offline) it shows the best passages instead."""
    from ..reviewer import open_session

    cfg, store = load(config, db)
    session = open_session(cfg, store=store)
    try:
        opening = assess if assess is not None else ask is None
        if json_out:
            _as_json(session, opening, ask)
            return
        if not session.has_model:
            err_console.print(
                "No GOOGLE_API_KEY or GEMINI_API_KEY set: retrieval only, no model will answer.", style="yellow"
            )
        answers = []
        if opening:
            answers.append(_stream(session.assess()))
        if ask is not None:
            answers.append(_stream(session.ask(ask)))
        else:
            _interactive(session)
        if any(a.status == "interrupted" for a in answers):
            raise typer.Exit(1)
    finally:
        session.close()


def _as_json(session: ReviewSession, opening: bool, ask: str | None) -> None:
    turns = []
    if opening:
        turns.append(session.assess().result())
    if ask is not None:
        turns.append(session.ask(ask).result())
    print_json(
        {
            "model_configured": session.has_model,
            "model": session.config.model,
            "corpus": session.corpus.current().summary(),
            "turns": [t.to_json() for t in turns],
        }
    )
    if any(t.status == "interrupted" for t in turns):
        raise typer.Exit(1)


def _stream(reply: Reply) -> Answer:
    for chunk in reply:
        console.print(chunk, end="", markup=False, highlight=False, soft_wrap=True)
    answer = reply.result()
    console.print()
    if answer.status != "retrieval_only":  # retrieval-only text already lists its sources
        label = "Sources cited" if answer.cited else "Passages given to the model (none cited explicitly)"
        console.print(f"\n{label}:", style="bold", highlight=False)
        for source in answer.sources:
            console.print(f"  • {source}", markup=False, highlight=False)
    if answer.history_turns_dropped:
        console.print(
            f"({answer.history_turns_dropped} earlier turns were left out of the history budget)",
            style="dim",
            highlight=False,
        )
    console.print()
    return answer


def _interactive(session: ReviewSession) -> None:
    console.print("Ask a question about the project (empty line or 'exit' to stop).", style="dim")
    while True:
        try:
            question = console.input("[bold]question>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if question.strip().lower() in _QUIT:
            return
        _stream(session.ask(question))
