"""``r2p cache verify`` and ``r2p cache clear``: check or empty a run's cache folder.

Every cache entry carries the SHA-256 of its bytes (:mod:`analysis.run.checked`) and a
run verifies it on every read, so a damaged entry is recomputed, never served.
``verify`` checks all of them at once (after a disk error, before archiving a run);
``clear`` removes them. Both take the cache's lock: while a run uses the cache they
stop with an error naming it (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

__all__ = ["register", "cache_app"]

cache_app = typer.Typer(
    help="Check or empty a run's cache (OUT/.cache, or --cache-dir). Every entry carries a SHA-256 of its bytes, "
         "verified on every read: a damaged entry is recomputed, never served.",
    no_args_is_help=True,
)


def _folder(out: Optional[Path], cache_dir: Optional[Path]) -> Path:
    from analysis.errors import UsageError

    if cache_dir is not None:
        folder = cache_dir
    elif out is not None:
        folder = out / ".cache"
    else:
        raise UsageError("name the cache: --out OUT (its OUT/.cache) or --cache-dir DIR")
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such cache folder (a run creates OUT/.cache)")
    return folder


def _out_option():
    return typer.Option(None, "--out", "-o", help="A run's output folder: its cache is OUT/.cache.")


def _cache_dir_option():
    return typer.Option(None, "--cache-dir", help="A cache folder given to `r2p run --cache-dir`.")


@cache_app.command("verify")
def verify(
    out: Optional[Path] = _out_option(),
    cache_dir: Optional[Path] = _cache_dir_option(),
    remove: bool = typer.Option(False, "--remove", help="Delete the damaged entries (the next run recomputes them)."),
) -> None:
    """Check the SHA-256 of every cache entry; list the damaged ones (exit 1 when there are any)."""
    from analysis.cli.options import cli_errors, console, out_console
    from analysis.run.cache import Cache
    from analysis.run.publish import DirLock

    with cli_errors():
        folder = _folder(out, cache_dir)
        with DirLock(folder, "cache"):
            n, bad = Cache(folder).verify(remove=remove)
    for path, reason in bad:
        console.print(f"[red]damaged:[/] {escape(str(path))}: {escape(reason)}"
                      + (" (removed)" if remove else ""))
    out_console.print(f"{folder}: {n} entries checked, {len(bad)} damaged"
                      + ("" if not bad or remove else "; `r2p cache verify --remove` deletes them (a run "
                         "recomputes them anyway, never serving one)"))
    if bad:
        raise typer.Exit(1)


@cache_app.command("clear")
def clear(
    out: Optional[Path] = _out_option(),
    cache_dir: Optional[Path] = _cache_dir_option(),
) -> None:
    """Remove every entry of the cache (the next run recomputes everything); OUT's tables are kept."""
    from analysis.cli.options import cli_errors, out_console
    from analysis.run.cache import Cache
    from analysis.run.publish import DirLock

    with cli_errors():
        folder = _folder(out, cache_dir)
        with DirLock(folder, "cache"):
            n, size = Cache(folder).clear()
    out_console.print(f"{folder}: removed {n} files ({size / 2**20:.1f} MiB)")


def register(app: typer.Typer) -> None:
    """Add ``r2p cache`` to the command line."""
    app.add_typer(cache_app, name="cache")
