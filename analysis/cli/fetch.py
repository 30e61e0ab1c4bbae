"""The console side of ``r2p corpus fetch``: progress bar, plan table, summary and exit code.

The library (:mod:`analysis.acquire.fetch`, :mod:`analysis.acquire.dataverse`)
prints nothing; this module turns its reports and progress callbacks into the
command's output. ``--corpus`` picks the machinery: a manifest corpus
(``sg-r2p`` or a folder with ``manifest.csv``) is fetched text by text; a
Dataverse dataset (``ungdc``, ``unsc-debates``, ``unsc-meetings`` or a DOI) is
downloaded as released (:func:`dataverse_command`).
"""

from __future__ import annotations

import os

from analysis.acquire.fetch import FetchResult, accept_new, fetch_corpus, load_config, resolve_corpus_dir
from analysis.cli.options import report_error

__all__ = ["dataverse_command", "fetch_command"]


def fetch_command(corpus: str = "sg-r2p", only: list[str] | None = None, force: bool = False, plan: bool = False,
                  config: str | os.PathLike | None = None, report_csv: str | os.PathLike | None = None,
                  quiet: bool = False, console=None, out_console=None, accept: bool = False,
                  version: str | None = None, server: str | None = None, unpack: bool = True) -> int:
    """What ``r2p corpus fetch`` does: run :func:`fetch_corpus` with a progress bar and print the summary.

    A Dataverse dataset (a name of :data:`analysis.acquire.dataverse.DATASETS`
    or a DOI) goes to :func:`dataverse_command` instead. Returns the exit code:
    0 when nothing failed, 1 when any row failed, 2 for a usage error (no such
    corpus folder or doc_id, bad configuration).
    """
    from analysis.acquire.dataverse import is_dataverse_corpus

    if is_dataverse_corpus(corpus):
        return dataverse_command(corpus, version=version, server=server, only=only, force=force, plan=plan,
                                 config=config, report_csv=report_csv, quiet=quiet, unpack=unpack, accept=accept,
                                 console=console, out_console=out_console)
    if version is not None or server is not None:
        from rich.console import Console

        (console or Console(stderr=True)).print(
            f"error: --version and --server apply to Dataverse datasets (ungdc, unsc-debates, unsc-meetings or "
            f"a DOI), not to {corpus!r}", markup=False, highlight=False)
        return 2
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = console or Console(stderr=True)
    out_console = out_console or Console()
    try:
        cdir = resolve_corpus_dir(corpus)
        cfg = load_config(cdir, path=config)
    except Exception as exc:  # noqa: BLE001 (re-raised unless mapped); a missing folder, a bad config: usage
        return report_error(exc, also=(((FileNotFoundError, ValueError), 2),), out=console, label="error",
                            plain=True)
    styles = {"fetched": "green", "unchanged": "green", "changed": "yellow", "failed": "red",
              "planned": "cyan", "present": "dim", "bundled": "dim"}
    try:
        if accept:
            rep = accept_new(cdir, only=only)
            if not len(rep):
                out_console.print("no re-fetched texts awaiting review (<doc_id>.new.txt)")
        elif plan or quiet:
            rep = fetch_corpus(cdir, only=only, force=force, plan=plan, config=cfg)
        else:
            with Progress(TextColumn("[bold]fetch[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("{task.description}"), console=console, transient=False) as progress:
                task = progress.add_task("", total=None)

                def on_start(doc_id: str, i: int, n: int) -> None:
                    progress.update(task, total=n, description=doc_id)

                def on_result(r: FetchResult) -> None:
                    progress.advance(task)
                    if r.status not in ("present", "bundled") and "offline: none of the" not in (r.reason or ""):
                        why = r.reason.split(" -> ")[0] if r.status == "failed" else ""
                        progress.console.print(f"[{styles.get(r.status, 'white')}]{r.status:>9}[/] {r.doc_id}"
                                               + (f"  [dim]{escape(why[:160])}[/]" if why else ""),
                                               highlight=False)

                rep = fetch_corpus(cdir, only=only, force=force, plan=False, config=cfg,
                                   on_start=on_start, on_result=on_result)
    except Exception as exc:  # noqa: BLE001 (re-raised unless mapped); unknown --only id, bad lock, busy folder
        return report_error(exc, also=(((ValueError, RuntimeError), 2),), out=console, label="error", plain=True)
    if report_csv:
        rep.to_frame().to_csv(report_csv, index=False)
    if plan:
        t = Table(title=f"fetch plan for {cdir}")
        for col in ("doc_id", "status", "would try"):
            t.add_column(col, overflow="fold")
        for r in rep:
            t.add_row(r.doc_id, r.status, r.reason.removeprefix("would try: ") if r.status in ("planned", "failed") else "")
        out_console.print(t)
    c = rep.counts()
    out_console.print("summary: " + ", ".join(f"{k} {v}" for k, v in c.items() if v), highlight=False)
    for r in rep:
        if r.status == "changed":
            out_console.print(f"changed {r.doc_id}: {r.reason}", markup=False, highlight=False)
        elif r.status == "fetched" and r.reason:  # accepted texts, manifest hash notes
            out_console.print(f"{r.doc_id}: {r.reason}", markup=False, highlight=False)
    offline = [r for r in rep.failed if "offline: none of the" in (r.reason or "")]
    if rep.failed and len(offline) == len(rep.failed):
        out_console.print(f"{len(offline)} text(s) not fetched: {offline[0].reason.split(' -> ')[0]}"
                          "\n`r2p corpus info` lists them with their URLs.", style="red", markup=False, highlight=False)
        return 1
    if rep.failed:
        out_console.print(f"{len(rep.failed)} failed:", style="red")
        for r in rep.failed:
            out_console.print(f"  {r.doc_id}  {r.url or '(no URL)'}\n      {r.reason}", markup=False, highlight=False)
        return 1
    return 0


def _mb(n) -> str:
    return "?" if n is None else (f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes")


def dataverse_command(corpus: str, version: str | None = None, server: str | None = None,
                      only: list[str] | None = None, force: bool = False, plan: bool = False,
                      config: str | os.PathLike | None = None, report_csv: str | os.PathLike | None = None,
                      quiet: bool = False, unpack: bool = True, accept: bool = False, console=None,
                      out_console=None) -> int:
    """``r2p corpus fetch --corpus ungdc`` (or another Dataverse dataset): download, verify, unpack, lock.

    Returns 0 on success, 1 when the listing, a download or the unpacking
    failed (the message names the file or URL and what to do), 2 for a usage
    error (unknown dataset, bad DOI or version, ``--only`` naming no file).
    """
    import csv

    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                               TransferSpeedColumn)
    from rich.table import Table

    from analysis.acquire.dataverse import DATAVERSE_LOCK, DEFAULT_SERVER, fetch_dataset
    from analysis.acquire.sources import load_config

    console = console or Console(stderr=True)
    out_console = out_console or Console()

    def say(msg: str, **kw) -> None:
        out_console.print(msg, markup=False, highlight=False, **kw)

    if accept:
        console.print(f"error: --accept applies to manifest corpora (sg-r2p), not to the Dataverse dataset "
                      f"{corpus!r}", markup=False, highlight=False)
        return 2
    try:
        cfg = load_config(path=config)
    except Exception as exc:  # noqa: BLE001 (re-raised unless mapped)
        return report_error(exc, also=((ValueError, 2),), out=console, label="error", plain=True)
    kw = dict(name=corpus, version=version, server=server or DEFAULT_SERVER, only=only, plan=plan, force=force,
              unpack=unpack, config=cfg)
    try:
        if quiet or plan:
            rep = fetch_dataset(**kw)
        else:
            with Progress(TextColumn("[bold]fetch[/] {task.description}"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TimeRemainingColumn(), console=console, transient=True) as bar:
                tasks: dict = {}

                def on_file(rf, i, n):
                    tasks["t"] = bar.add_task(f"{rf.path} ({i + 1}/{n})", total=rf.size)

                def on_bytes(k):
                    bar.advance(tasks["t"], k)

                rep = fetch_dataset(**kw, on_file=on_file, on_bytes=on_bytes)
    except Exception as exc:  # noqa: BLE001 (re-raised unless mapped); RuntimeError: another fetch runs on the folder
        return report_error(exc, also=((RuntimeError, 2),), out=console, label="error", plain=True)
    ds = rep.dataset
    where = f"{ds.doi} version {rep.version_number or ds.version}"
    if report_csv:
        with open(report_csv, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "status", "n_bytes", "url", "reason"])
            for r in rep.files:
                w.writerow([r.path, r.status, "" if r.n_bytes is None else r.n_bytes, r.url, r.reason])
    if rep.noop:
        say(f"{ds.name}: {where} already fetched into {rep.folder} ({DATAVERSE_LOCK}); nothing to do "
            "(--force re-verifies the files)")
        return 0
    say(f"{ds.name}: {where} ({ds.title}) from {kw['server']}")
    if plan:
        t = Table(title=f"fetch plan for {ds.name} -> {rep.folder}")
        for col in ("file", "size", "status", "url"):
            t.add_column(col, overflow="fold")
        for r in rep.files:
            t.add_row(r.path, _mb(r.n_bytes), r.status, r.url)
        out_console.print(t)
        return 0
    for r in rep.files:
        say(f"{r.status:>11}  {r.path}  {_mb(r.n_bytes)}")
    for u in rep.unpacked:
        say(f"   unpacked  {u.archive.name}: {u.files:,} files ({u.written:,} new, {u.same:,} already there) "
            f"into {u.folder}"
            + (f" (top level: {', '.join(t + '/' for t in u.top_level[:5])})" if u.top_level else "")
            + (f"; {len(u.skipped)} link(s) skipped" if u.skipped else ""))
    for note in rep.notes:
        say(f"note: {note}")
    say(f"summary: {len(rep.files)} file(s), {_mb(rep.bytes_downloaded)} downloaded in {rep.seconds:.1f} s "
        f"({rep.requests} request(s)); lock {rep.folder / DATAVERSE_LOCK}")
    return 0
