"""The console side of ``r2p corpus fetch``: progress bar, plan table, summary and exit code.

The library (:mod:`analysis.acquire.fetch`) prints nothing; this module turns
its :class:`~analysis.acquire.fetch.FetchReport` and progress callbacks into
the command's output.
"""

from __future__ import annotations

import os

from analysis.acquire.fetch import FetchResult, accept_new, fetch_corpus, load_config, resolve_corpus_dir

__all__ = ["fetch_command"]


def fetch_command(corpus: str = "sg-r2p", only: list[str] | None = None, force: bool = False, plan: bool = False,
                  config: str | os.PathLike | None = None, report_csv: str | os.PathLike | None = None,
                  quiet: bool = False, console=None, out_console=None, accept: bool = False) -> int:
    """What ``r2p corpus fetch`` does: run :func:`fetch_corpus` with a progress bar and print the summary.

    Returns the exit code: 0 when nothing failed, 1 when any row failed, 2 for
    a usage error (no such corpus folder or doc_id, bad configuration).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from analysis.manifest import ManifestError

    console = console or Console(stderr=True)
    out_console = out_console or Console()
    try:
        cdir = resolve_corpus_dir(corpus)
        cfg = load_config(cdir, path=config)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
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
    except (ValueError, RuntimeError, ManifestError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
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
