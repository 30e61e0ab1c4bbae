"""``r2p kwic`` and ``r2p keyness``: quick comparisons from the command line.

Registered on the main ``r2p`` app by :func:`register` (called from
:mod:`analysis.cli`). Heavy imports happen inside the commands so that
``r2p --help`` stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table


def register(app: typer.Typer, console, out_console, load, corpus_help: str) -> None:
    """Add the ``kwic`` and ``keyness`` commands to ``app``."""

    @app.command("kwic")
    def kwic_cmd(
        patterns: list[str] = typer.Argument(..., help="Words, globs (prevent*) or quoted phrases "
                                             "('responsibility to protect')."),
        corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help=corpus_help),
        window: int = typer.Option(5, "--window", "-w", min=0, help="Words of context on each side."),
        regex: bool = typer.Option(False, "--regex", help="Patterns are regular expressions (per word)."),
        case_sensitive: bool = typer.Option(False, "--case-sensitive", help="Match case exactly."),
        limit: int = typer.Option(40, "--limit", "-n", min=0, help="Lines to print (0: all); the CSV gets all."),
        csv: Path | None = typer.Option(None, "--csv", help="Write the whole concordance to this CSV file."),
    ) -> None:
        """Keyword-in-context concordance (the kwic.csv table of 'r2p run')."""
        from analysis.textstats.kwic import stat_kwic
        from analysis.run.runner import write_csv

        c = load(corpus)
        try:
            df = stat_kwic(c, patterns, window=window, valuetype="regex" if regex else "glob",
                           case_insensitive=not case_sensitive)
        except (ValueError, re.error) as e:
            console.print(f"[red]usage:[/] {escape(str(e))}")
            raise typer.Exit(2)
        if csv:
            write_csv(df, csv)
        t = Table(title=f"{len(df)} matches in {df['doc_id'].nunique() if len(df) else 0} documents")
        t.add_column("doc_id", overflow="fold")
        t.add_column("pre", justify="right")
        t.add_column("keyword", style="bold")
        t.add_column("post")
        shown = df if not limit else df.head(limit)
        for r in shown.itertuples(index=False):
            t.add_row(str(r.doc_id), r.pre, r.keyword, r.post)
        out_console.print(t)
        if csv:
            out_console.print(f"wrote {len(df)} rows to {csv}")

    @app.command("keyness")
    def keyness_cmd(
        corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help=corpus_help),
        compare: str | None = typer.Option(
            None, "--compare", help="Target vs reference: 'anchor', 'speaker=António Guterres vs Ban "
            "Ki-moon', 'year>=2017', 'venue=report' (reference: the rest). Default: the corpus default."),
        measure: str = typer.Option("g2", "--measure", help="Statistic for p-values and sorting: g2 or chi2."),
        correction: str = typer.Option("default", "--correction",
                                       help="default (Yates for chi2, Williams for G2), yates, williams, none."),
        fightin_words: bool = typer.Option(False, "--fightin-words", help="Fightin' Words (Monroe et al. 2008) instead."),
        alpha0: float = typer.Option(1000.0, "--alpha0", help="Fightin' Words prior scale alpha_0."),
        top: int = typer.Option(20, "--top", "-n", min=1, help="Terms to print for each side."),
        csv: Path | None = typer.Option(None, "--csv", help="Write the whole table to this CSV file."),
    ) -> None:
        """Keyness (G2, chi2, log ratio, BH) or Fightin' Words between two groups of documents."""
        from analysis.textstats.similarity import default_anchor, default_comparisons, document_counts, unit_counts
        from analysis.textstats.keyness import stat_fightin_words, stat_keyness
        from analysis.run.runner import write_csv
        from analysis.text import make_units

        c = load(corpus).available()
        spec = compare or default_comparisons(c)[-1]
        anchor = default_anchor(c)
        with console.status("counting terms ..."):
            units = make_units(c, kind="paragraph")
            if not len(units):
                console.print("[red]error:[/] no document has text; run 'r2p corpus fetch' first")
                raise typer.Exit(1)
            dtm = document_counts(unit_counts(units), c.docvars)[0]
        try:
            if fightin_words:
                df = stat_fightin_words(dtm, spec, anchor=anchor, alpha_0=alpha0)
                score = "z"
            else:
                df = stat_keyness(dtm, spec, anchor=anchor, correction=correction, measure=measure)
                score = measure
        except ValueError as e:
            console.print(f"[red]usage:[/] {escape(str(e))}")
            raise typer.Exit(2)
        if csv:
            write_csv(df, csv)
        label = df["comparison"].iloc[0] if len(df) else spec
        for title, part in ((f"key for the target ({label})", df.head(top)),
                            ("key for the reference", df.iloc[::-1].head(top))):
            t = Table(title=title)
            cols = ["term", "count_a", "count_b", "delta", "z"] if fightin_words else \
                ["term", "count_target", "count_reference", "g2", "chi2", "log_ratio", "p_adjusted"]
            for col in cols:
                t.add_column(col, justify="left" if col == "term" else "right")
            for r in part.itertuples(index=False):
                t.add_row(*(f"{getattr(r, col):.3g}" if isinstance(getattr(r, col), float)
                            else str(getattr(r, col)) for col in cols))
            out_console.print(t)
        if csv:
            out_console.print(f"wrote {len(df)} rows ({score}) to {csv}")
