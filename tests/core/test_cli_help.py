"""`--help` reads as documentation: no `<bool>` type noise on flags, every argument and option explained."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from evalharness.cli import app


def _commands(command, path: tuple[str, ...] = ()):
    yield path, command
    if getattr(command, "commands", None):  # a group (typer vendors its own click)
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_help_page_documents_its_parameters_without_type_noise() -> None:
    root = typer.main.get_command(app)
    pages = list(_commands(root))
    assert len(pages) > 20
    for path, command in pages:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
        for param in command.params:
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"{' '.join(path)}: '{param.name}' has no help text"
