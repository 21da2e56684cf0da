"""Data-use permissions, enforced before anything leaves the machine.

A suite's `suite.toml` lists its allowed uses (default-deny). Running it at all needs `evaluation`;
sending it to an external model needs `external_generation`; to an external judge, `external_judging`.
The check happens before the first request, so a refusal sends nothing.
"""

from __future__ import annotations

from .errors import GovernanceError
from .suites import Suite


def require(suite: Suite, use: str, *, purpose: str) -> None:
    """Raise GovernanceError unless the suite allows `use`. `purpose` names what wanted it (for the message)."""
    if suite.meta.governance.allows(use):
        return
    where = f"{suite.path}/suite.toml" if suite.path else f"suite '{suite.name}'"
    allowed = ", ".join(suite.meta.governance.allowed_uses) or "nothing"
    raise GovernanceError(
        f"suite '{suite.name}' does not allow '{use}' (needed for {purpose}); it allows: {allowed}. "
        f'Nothing was sent. If the community that owns this data approves it, add "{use}" to '
        f"[governance] allowed_uses in {where}."
    )
