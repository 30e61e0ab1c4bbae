"""The exceptions every layer shares, so the command line maps each to one exit code.

- :class:`UsageError` (exit 2): the user asked for something that does not exist or
  is out of range (an unknown setting, stage or column; a bad value).
- :class:`MissingColumnsError` (a ``UsageError`` and a ``KeyError``): a table lacks
  columns a function needs; the message names the table, the columns and where
  such a table comes from.
- :class:`analysis.corpus.CorpusError` (exit 1): a corpus cannot be read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["UsageError", "MissingColumnsError", "closest", "require_columns"]


class UsageError(ValueError):
    """A usage error: unknown key or stage, or a value of the wrong type or out of range."""


class MissingColumnsError(UsageError, KeyError):
    """A table lacks columns that a function needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``name`` (difflib ratio >= 0.6), for 'did you mean' hints."""
    m = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return m[0] if m else None


def require_columns(df, columns: Iterable[str], what: str = "table", hint: str = "") -> None:
    """Raise :class:`MissingColumnsError` naming every column of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"{what} lacks column(s) {', '.join(map(repr, missing))} (it has {', '.join(map(str, df.columns))})"
        if hint:
            msg += f"; {hint}"
        raise MissingColumnsError(msg)
