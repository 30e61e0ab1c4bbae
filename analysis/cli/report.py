"""``r2p report``: the interactive page of a finished run, ``OUT/report/index.html``.

Registered on the main ``r2p`` app by :func:`register` (called from
:mod:`analysis.cli.main`); heavy imports happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer, console, out_console) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="The run folder (the --out of 'r2p run')."),
        sets: Optional[List[str]] = typer.Option(None, "--set", "-s", help="report.KEY=VALUE (see "
                                                 "'r2p settings report'), repeatable."),
    ) -> None:
        """Write OUT/report/index.html: one self-contained page (works offline) from the run's tables.

        Views: corpus overview, similarity to the anchor, a term explorer per comparison,
        topics, frames and the anchor with its frames, each linked to the text behind it;
        provenance (corpus hash, seed, settings, versions) in the footer. Open the file in
        any browser. Needs the report extra: pip install 'r2p-analysis[report]'.
        """
        from analysis.cli.options import cli_errors
        from analysis.errors import UsageError
        from analysis.settings import parse_assignments

        # the report extra may be missing: ImportError exits 1
        with cli_errors(also=((ImportError, 1),), out=console, label="error"):
            groups = parse_assignments(sets)
            unknown = sorted(set(groups) - {"report"})
            if unknown:
                raise UsageError(f"r2p report takes only report.KEY=VALUE settings, not {', '.join(unknown)}")
            from analysis.stages.report import report_from_folder

            path = report_from_folder(out, groups.get("report"), log=console.print)
        out_console.print(str(path))
        console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); open it in a browser")
