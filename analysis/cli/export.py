"""``r2p export``: a run's tables for Stata (.dta) or R (.rds), or its DTM as Matrix Market.

Registered on the main ``r2p`` app by :func:`register` (called from
:mod:`analysis.cli.main`); heavy imports happen inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer, console, out_console) -> None:
    """Add the ``export`` command to ``app``."""

    @app.command("export")
    def export_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="The run folder (the --out of 'r2p run')."),
        to: str = typer.Option(..., "--to", "-t", help="stata (.dta per table), r (.rds per table), csv (.csv "
                               "per table, for spreadsheets) or mm (document-term matrix in Matrix Market, with "
                               "vocabulary and docvars)."),
        dest: Path | None = typer.Option(None, "--dest", "-d", help="Folder to write into "
                                         "(default RUN_DIR/export/<format>/)."),
        level: str = typer.Option("document", "--level", help="mm only: rows are documents or units (paragraphs)."),
        escape_formulas: bool = typer.Option(
            False, "--escape-formulas", help="Put a ' before every text cell (and column name) that starts with "
            "= + - @, a tab or a carriage return, so that Excel, LibreOffice or Google Sheets show it instead of "
            "running it as a formula (OWASP: CSV injection). Off by default: values are exported verbatim, "
            "so the data round-trip; escaped files are for opening in a spreadsheet, not for analysis."),
    ) -> None:
        """Export a run's tables and matrix for R and Stata users (names made valid; see column_names.csv).

        --to csv writes every table as CSV for spreadsheets (UTF-8 with BOM). A text or docvar such as
        =HYPERLINK(...) or +cmd|... is exported verbatim unless --escape-formulas is given.
        """
        from analysis.cli.options import cli_errors
        from analysis.export import export_run

        with cli_errors(out=console, label="error"):
            paths = export_run(out, to, dest, level=level, formula_escape=escape_formulas)
        for p in paths:
            out_console.print(str(p))
        console.print(f"wrote {len(paths)} files to {paths[0].parent}")
