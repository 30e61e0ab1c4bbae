"""The exceptions every layer shares, so the command line maps each to one exit code.

Every exception the package defines derives from :class:`R2PError` (and keeps its
other bases, so ``except ValueError`` in user code still catches a
:class:`UsageError`). The exit-code convention of the ``r2p`` command, applied in
one place (:func:`exit_code`, used by :func:`analysis.cli.options.cli_errors`):

- 2: a usage error, :class:`UsageError` and its subclasses (the user asked for
  something that does not exist, or a value is of the wrong type or out of range);
- 1: any other :class:`R2PError`, a data or I/O problem (a corpus, manifest or
  dictionary that cannot be read, a failed download, fetch, unpacking or write).

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

__all__ = ["R2PError", "UsageError", "MissingColumnsError", "EXIT_USAGE", "EXIT_PROBLEM", "exit_code", "closest",
           "require_columns"]

#: exit code of a usage error (:class:`UsageError`)
EXIT_USAGE = 2
#: exit code of a data or I/O problem (any other :class:`R2PError`)
EXIT_PROBLEM = 1


class R2PError(Exception):
    """The base of every exception the package defines (see the module docstring for exit codes)."""


class UsageError(R2PError, ValueError):
    """A usage error: unknown key or stage, or a value of the wrong type or out of range."""


class MissingColumnsError(UsageError, KeyError):
    """A table lacks columns that a function needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def exit_code(exc: BaseException) -> int:
    """The ``r2p`` exit code of ``exc``: 2 for a :class:`UsageError`, 1 for any other error."""
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_PROBLEM


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
