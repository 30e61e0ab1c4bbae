"""What every command shares: the consoles, the corpus help, option factories and one error mapping.

Exit codes: 0 ok; 1 problems found (a corpus or dictionary that cannot be read,
failed stages, failed fetches); 2 usage errors (unknown setting, stage or
column, bad value). Errors are mapped in one place, keyed on the package's one
exception base :class:`analysis.errors.R2PError`: :func:`error_exit_code` gives an
exception's code (:func:`analysis.errors.exit_code` for the package's own: a
``UsageError`` 2, any other ``R2PError`` 1; :data:`OTHER_ERRORS` for a few from
Python), :func:`report_error` prints it, and :func:`cli_errors` wraps a command's
work in both, so no command ends in a traceback. A command may name, in ``also``,
further exceptions from outside the package it expects (a plain ``ValueError`` of a
file it reads, ``ImportError`` of an optional extra) with their codes; the package's
own exceptions always follow the convention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.markup import escape

from analysis.profiles import DEFAULT_SEED

__all__ = ["console", "out_console", "CORPUS_HELP", "OTHER_ERRORS", "cli_errors", "error_exit_code", "report_error", "load_corpus_or_exit", "corpus_option",
           "where_option", "passages_option", "passage_unit_option", "passage_window_option", "reshaping",
           "out_option", "seed_option", "set_option", "anchor_option", "no_cache_option", "cache_dir_option",
           "quiet_option", "threads_option",
           "workers_option", "scheduler_option", "check_out_dir"]

console = Console(stderr=True)
out_console = Console()

CORPUS_HELP = (
    "Corpus name or path: sg-r2p (default, the project's corpus/), sotu, inaugural, "
    "state_union, ungdc (the UN General Debate Corpus: $R2P_UNGDC_DIR or the data folder), "
    "a folder with manifest.csv, the UNGDC release (folder, TXT folder or .tgz/.zip), "
    "a UNSC Debates folder (speaker.tsv, meta.tsv + speeches.tar or speeches/), a UNSC Meetings and "
    "Speeches folder (speeches.tsv + meetings.tsv), or a .csv/.parquet file with a text column. "
    "Combine corpora with +, e.g. sg-r2p+ungdc (a `source` docvar tells them apart)."
)

WHERE_HELP = (
    "Keep the documents an expression over the docvars selects, e.g. \"year>=2005\", "
    "'source == \"ungdc\" and un_region == \"African States\"', 'country_code in (\"FRA\",\"USA\")' "
    "(operators == != < <= > >= in, not in; and, or, not)."
)

PASSAGES_HELP = (
    "Cut the documents into the passages that match a pattern set: a profile name (r2p: "
    "responsib* to protect, R2P, RtoP and the four atrocity crimes) or comma-separated patterns. "
    "The anchor stays whole."
)

DATA_DIR_HELP = (
    "User data folder for the sg-r2p corpus's fetched texts, raw downloads and lock file "
    "(its sg-r2p/ subfolder). Default: the clone's corpus/, or when installed $R2P_DATA_DIR or "
    "the platform's user data folder (r2p-analysis)."
)


def use_data_dir(path: Optional[Path]) -> None:
    """Apply ``--data-dir`` (a UsageError exit 2 if the folder cannot be used)."""
    if path is not None:
        from analysis.resources import set_data_dir

        with cli_errors():
            set_data_dir(path)


def data_dir_option():
    return typer.Option(None, "--data-dir", help=DATA_DIR_HELP)


#: exceptions from outside the package that every command reports without a traceback, with their exit codes
OTHER_ERRORS: tuple = ((re.error, 2), (FileNotFoundError, 1), (PermissionError, 1))

#: ``also`` of a command: ``((exception type or tuple of types, exit code), ...)``
Also = Sequence[tuple[Any, int]]


def error_exit_code(exc: BaseException, also: Also = ()) -> int | None:
    """The exit code of ``exc``, or None when the command line does not expect it (a bug: a traceback).

    The package's exceptions (:class:`analysis.errors.R2PError`) follow
    :func:`analysis.errors.exit_code` (2 usage, 1 problem); then the command's
    ``also``; then :data:`OTHER_ERRORS`.
    """
    from analysis.errors import R2PError, exit_code

    if isinstance(exc, R2PError):
        return exit_code(exc)
    for types, code in (*also, *OTHER_ERRORS):
        if isinstance(exc, types):
            return code
    return None


def report_error(exc: BaseException, also: Also = (), out: Console | None = None, label: str | None = None,
                 plain: bool = False) -> int:
    """Print ``exc`` as ``usage: ...`` (exit 2) or ``error: ...`` (exit 1) and return its exit code.

    ``label`` replaces both words; ``plain`` prints without colour (the fetch
    commands' style). An exception :func:`error_exit_code` does not map is raised again.
    """
    code = error_exit_code(exc, also)
    if code is None:
        raise exc
    out = out or console
    label = label or ("usage" if code == 2 else "error")
    if plain:
        out.print(f"{label}: {exc}", markup=False, highlight=False)
    else:
        out.print(f"[red]{label}:[/] {escape(str(exc))}")
    return code


@contextmanager
def cli_errors(also: Also = (), out: Console | None = None, label: str | None = None, plain: bool = False):
    """Map the exceptions of the block to a message and an exit code (:func:`report_error`, ``typer.Exit``)."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as e:
        if error_exit_code(e, also) is None:
            raise
        raise typer.Exit(report_error(e, also, out, label, plain)) from None


def check_out_dir(out: Path, option: str = "--out") -> Path:
    """Check that ``out`` can be a run's output folder, before anything is loaded or computed.

    It must be a folder we can write in, or not exist yet under a folder we can
    write in (it is created by the run). A file, a read-only folder, or a path
    under a file or a read-only folder raises :class:`analysis.errors.UsageError`
    naming the option, the path and what is wrong.
    """
    import os

    from analysis.errors import UsageError

    out = Path(out).expanduser()
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{option} {out}: is a file, not a folder (give a folder: it holds tables/, "
                             "figures/ and run.json)")
        if not os.access(out, os.W_OK | os.X_OK):
            raise UsageError(f"{option} {out}: the folder is not writable (choose a folder you can write in)")
        return out
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {out}: cannot be created, {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {out}: cannot be created, {parent} is not writable")
    return out


def load_corpus_or_exit(corpus: str, where: Optional[str] = None, passages: Optional[str] = None,
                        passage_unit: str = "paragraph", passage_window: int = 30):
    """Load ``--corpus`` (``A+B`` combines), then apply ``--where`` and ``--passages``
    (:func:`analysis.reshape.load_reshaped`); errors exit 1 (corpus) or 2 (usage)."""
    from analysis.corpus import load_corpus
    from analysis.reshape import load_reshaped

    with cli_errors(), console.status(f"loading corpus {corpus} ..."):
        return load_reshaped(corpus, load_corpus, where=where, passages=passages, passage_unit=passage_unit,
                             passage_window=passage_window)


def reshaping(corpus: str, where: Optional[str], passages: Optional[str]) -> bool:
    """Whether ``--corpus/--where/--passages`` ask for more than loading one corpus."""
    return bool(where or passages or ("+" in str(corpus) and not Path(str(corpus)).expanduser().exists()))


def where_option():
    return typer.Option(None, "--where", help=WHERE_HELP)


def passages_option():
    return typer.Option(None, "--passages", help=PASSAGES_HELP)


def passage_unit_option():
    return typer.Option("paragraph", "--passage-unit", help="Passages are matching paragraphs, or windows "
                        "of --passage-window words either side of each match: paragraph or window.")


def passage_window_option():
    return typer.Option(30, "--passage-window", min=0, help="Words either side of a match (--passage-unit window).")


def corpus_option(default: str = "sg-r2p"):
    return typer.Option(default, "--corpus", "-c", help=CORPUS_HELP)


def out_option(help: str = "Output folder: tables/, figures/, run.json."):
    return typer.Option(Path("out"), "--out", "-o", help=help)


def seed_option():
    return typer.Option(DEFAULT_SEED, "--seed", help="Seed for every random step.")


def set_option(example: str = "topics.k=8, text.stem=true"):
    return typer.Option(None, "--set", help=f"A declared setting, STAGE.KEY=VALUE (repeatable; also text.KEY=VALUE), e.g. {example}; "
                        "`r2p settings` lists them.")


def anchor_option():
    return typer.Option(None, "--anchor", help="doc_id of the run's anchor (default: the anchor recorded in "
                        "OUT/run.json, else the corpus anchor, else the most recent document).")


def no_cache_option():
    return typer.Option(False, "--no-cache", help="Recompute everything, the loaded corpus too (ignore OUT/.cache).")


def cache_dir_option():
    return typer.Option(None, "--cache-dir", help="Cache folder (default OUT/.cache).")


def quiet_option():
    return typer.Option(False, "--quiet", "-q", help="No progress bar or messages.")


def threads_option():
    return typer.Option(1, "--threads", min=0,
                        help="BLAS/OpenMP threads (default 1: identical tables on any machine; 0: the libraries' default).")


def workers_option():
    return typer.Option(None, "--workers", "-j", min=1,
                        help="Worker processes for the K scan, bootstraps and dictionary counts (run.workers; "
                             "default 1). Tables are byte-identical for any number.")


def scheduler_option():
    return typer.Option(None, "--scheduler", metavar="local:N|tcp://HOST:PORT",
                        help="Run those tasks on a Dask cluster instead (run.scheduler): local:N starts a "
                             "LocalCluster of N workers, tcp://HOST:PORT joins a running scheduler (e.g. "
                             "dask-jobqueue on SLURM). Needs pip install r2p-analysis[dask]; identical tables.")


# typing helpers for the commands
OptStrList = Optional[List[str]]
