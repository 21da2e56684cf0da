"""Typed errors. Only the CLI turns them into exit codes; the library raises and never exits.

Every error says what went wrong *and* what to do next, because the people reading them run a
community's fine-tuning pipeline, not this code.
"""

from __future__ import annotations

from pathlib import Path


class EvalHarnessError(Exception):
    """Base class. `exit_code` is what the CLI returns for it."""

    exit_code = 1


class InputError(EvalHarnessError):
    """Bad user input (a data file, a manifest, a config). Exit code 2.

    Carries the file, line and field so that a person can go straight to the problem.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        self.message = message
        where = []
        if self.path:
            where.append(self.path + (f":{line}" if line is not None else ""))
        elif line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field '{field}'")
        text = (", ".join(where) + ": " if where else "") + message
        if hint:
            text += f" — {hint}"
        super().__init__(text)


class ConfigError(InputError):
    """A config key is missing, unknown or has a value that is not allowed. Exit code 2."""


class GovernanceError(EvalHarnessError):
    """A suite's governance does not allow what was asked (e.g. sending it to an external API). Exit code 2."""

    exit_code = 2


class MissingCredentialError(EvalHarnessError):
    """An API key the run needs is not in the environment. Exit code 2. Never carries the key itself."""

    exit_code = 2


class KeyNotAllowedError(EvalHarnessError):
    """A key variable would be sent to a host the operator did not tie it to (`[keys]` in the config), or is
    not in the allow-list at all. Exit code 2. Raised before the variable is read or anything is sent."""

    exit_code = 2


class IncompleteRunError(EvalHarnessError):
    """A run has failed items or a required metric was not scored. Exit code 3."""

    exit_code = 3


class StoreError(EvalHarnessError):
    """The DuckDB store could not be opened or written after retries. Exit code 1."""

    exit_code = 1
