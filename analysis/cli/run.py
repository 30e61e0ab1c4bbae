"""``r2p run``, ``r2p settings`` and the sugar commands ``r2p topics``, ``r2p kwic``, ``r2p keyness``.

The sugar commands run the same runner as ``r2p run`` (one stage, the same
declared settings and cache): each flag sets one declared setting, and only
when it is given, so ``--set`` keeps working beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from analysis.cli.options import (
    anchor_option,
    cache_dir_option,
    check_out_dir,
    cli_errors,
    console,
    corpus_option,
    data_dir_option,
    load_corpus_or_exit,
    no_cache_option,
    out_console,
    out_option,
    passage_unit_option,
    passage_window_option,
    passages_option,
    quiet_option,
    reshaping,
    seed_option,
    set_option,
    threads_option,
    use_data_dir,
    scheduler_option,
    workers_option,
    where_option,
)
from analysis.profiles import DEFAULT_SEED

__all__ = ["register", "run_command", "settings_table", "settings_markdown"]


def run_command(corpus: str, out: Path, *, seed: int = DEFAULT_SEED, sets: list[str] | None = None,
                flags: dict[str, dict[str, Any]] | None = None, only: list[str] | None = None,
                skip: list[str] | None = None, anchor: str | None = None, no_cache: bool = False,
                cache_dir: Path | None = None, quiet: bool = False, threads: int = 1, progress: bool = True,
                where: str | None = None, passages: str | None = None, passage_unit: str = "paragraph",
                passage_window: int = 30, workers: int | None = None,
                scheduler: str | None = None):
    """Parse ``--set``, lay the given flags over it, run, and exit 1 if a stage failed.

    ``--corpus A+B``, ``--where`` and ``--passages`` reshape the corpus first
    (:func:`analysis.reshape.load_reshaped`), after the settings are validated.
    """
    from analysis.run.runner import resolve_settings, run_pipeline
    from analysis.settings import parse_assignments

    with cli_errors():
        check_out_dir(out)  # a file, a read-only folder: a usage error before the corpus loads
        if where:
            from analysis.reshape import parse_where

            parse_where(where)  # its grammar and depth, before the corpus loads (it is applied after)
        overrides = parse_assignments(sets)
        for group, values in (flags or {}).items():
            overrides.setdefault(group, {}).update({k: v for k, v in values.items() if v is not None})
        run_group = {k: v for k, v in (("workers", workers), ("scheduler", scheduler)) if v is not None}
        # a bad --set, --workers or --scheduler is reported before a (large) corpus is read
        check = {g: {k: v for k, v in vals.items() if (g, k) != ("compare", "anchor")}  # deprecated, still read
                 for g, vals in overrides.items()}
        resolve_settings({**check, "run": {**check.get("run", {}), **run_group}})
    if reshaping(corpus, where, passages):
        corpus = load_corpus_or_exit(corpus, where=where, passages=passages, passage_unit=passage_unit,
                                     passage_window=passage_window)
    with cli_errors():
        ctx = run_pipeline(corpus, out, seed=seed, overrides=overrides, only=only, skip=skip, anchor=anchor,
                           cache_dir=cache_dir, use_cache=not no_cache, verbose=not quiet,
                           progress=progress and not quiet, threads=threads or None,
                           workers=workers, scheduler=scheduler)
    if ctx.errors:
        for e in ctx.errors:
            console.print(f"[red]stage {e['stage']} failed:[/] {escape(e['error'])}")
        raise typer.Exit(1)
    return ctx


def _quick_out(corpus: str) -> Path:
    """Where the sugar commands keep their run when no --out is given (a user cache folder)."""
    import hashlib

    from platformdirs import user_cache_dir

    tag = hashlib.sha256(str(Path(corpus).resolve() if Path(corpus).exists() else corpus).encode()).hexdigest()[:12]
    return Path(user_cache_dir("r2p-analysis")) / "quick" / tag


def settings_table(group: str | None = None) -> list[dict[str, str]]:
    """Rows (group, key, type, default, allowed, description) of every declared setting."""
    from analysis.run.registry import settings_class, settings_groups

    groups = {group: settings_class(group)} if group else settings_groups()
    rows = []
    for g, cls in groups.items():
        for s in cls.specs():
            default = s.default
            if isinstance(default, tuple):
                default = s.sep.join(map(str, default)) if default else "(empty)"
            rows.append({"group": g, "key": s.name, "type": s.type_name,
                         "default": "none" if default is None else str(default).lower()
                         if isinstance(default, bool) else str(default),
                         "allowed": s.rule, "description": s.help})
    return rows


def settings_markdown(group: str | None = None) -> str:
    """The settings as a Markdown table (the README's parameter lists are this text)."""
    lines = ["| setting | type | default | allowed | description |", "|---|---|---|---|---|"]
    for r in settings_table(group):
        cells = [f"`{r['group']}.{r['key']}`", r["type"], f"`{r['default']}`", r["allowed"], r["description"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        corpus: str = corpus_option(),
        out: Path = out_option(),
        seed: int = seed_option(),
        set_: Optional[List[str]] = set_option(),
        anchor: Optional[str] = anchor_option(),
        only: Optional[List[str]] = typer.Option(None, "--only", help="Run only these stages (repeatable)."),
        skip: Optional[List[str]] = typer.Option(None, "--skip", help="Skip these stages (repeatable)."),
        no_cache: bool = no_cache_option(),
        cache_dir: Optional[Path] = cache_dir_option(),
        quiet: bool = quiet_option(),
        threads: int = threads_option(),
        workers: Optional[int] = workers_option(),
        scheduler: Optional[str] = scheduler_option(),
        data_dir: Optional[Path] = data_dir_option(),
        where: Optional[str] = where_option(),
        passages: Optional[str] = passages_option(),
        passage_unit: str = passage_unit_option(),
        passage_window: int = passage_window_option(),
    ) -> None:
        """Run the pipeline on a corpus: tables under OUT/tables, figures under OUT/figures, OUT/run.json.

        Stages: corpus (documents.csv, units.csv), compare, topics, novelty, frames, figures.
        Every setting is declared (`r2p settings`); an unknown key or bad value is a usage error.
        Large unit-level tables are Parquet (run.table_format); --workers N runs the K scan,
        bootstraps and dictionary counts on N processes with byte-identical tables, and
        --scheduler local:N or tcp://HOST:PORT on a Dask cluster (the same tables again).
        `--corpus A+B` combines corpora (a `source` docvar), `--where EXPR` keeps the documents it
        selects, `--passages r2p` cuts them into the passages that speak of R2P; all three are
        recorded in run.json (corpus.loader, facts.corpus) and change the corpus hash, so caches follow.
        """
        use_data_dir(data_dir)
        ctx = run_command(corpus, out, seed=seed, sets=set_, only=only, skip=skip, anchor=anchor,
                          no_cache=no_cache, cache_dir=cache_dir, quiet=quiet, threads=threads, where=where,
                          passages=passages, passage_unit=passage_unit, passage_window=passage_window,
                          workers=workers, scheduler=scheduler)
        if not quiet:
            out_console.print(f"wrote {len(ctx.tables)} tables to {out / 'tables'} and {out / 'run.json'}")

    @app.command("settings")
    def settings_cmd(
        group: Optional[str] = typer.Argument(None, help="A stage (compare, topics, ...) or text; default: all."),
        markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table (as in the README)."),
    ) -> None:
        """List every declared setting with its type, default, allowed values and description."""
        with cli_errors():
            if group is not None:
                from analysis.run.registry import settings_class

                settings_class(group)  # a UsageError naming the groups when unknown
            rows = settings_table(group)
        if markdown:
            typer.echo(settings_markdown(group), nl=False)
            return
        t = Table(title="settings (--set GROUP.KEY=VALUE)")
        for c in ("setting", "type", "default", "allowed", "description"):
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(f"{r['group']}.{r['key']}", r["type"], r["default"], r["allowed"], r["description"])
        out_console.print(t)

    @app.command("topics")
    def topics_cmd(
        corpus: str = corpus_option(),
        out: Path = out_option("Output folder: tables/topic_*.csv, run.json."),
        k: Optional[int] = typer.Option(None, "--k", min=2, help="Number of topics (topics.k); default: the rule."),
        model: Optional[str] = typer.Option(None, "--model", "-m", help="Model reported (topics.model): nmf or lda."),
        models: Optional[str] = typer.Option(None, "--models", help="Models fitted (topics.models): auto, lda, nmf, lda,nmf; scanned over K: topics.scan_models."),
        seed: int = seed_option(),
        set_: Optional[List[str]] = set_option("topics.k_max=30"),
        anchor: Optional[str] = anchor_option(),
        no_cache: bool = no_cache_option(),
    ) -> None:
        """Fit topic models only (the 'topics' stage): choose K, label topics, prevalence, effects."""
        ctx = run_command(corpus, out, seed=seed, sets=set_, only=["topics"], anchor=anchor, no_cache=no_cache,
                          flags={"topics": {"k": k, "model": model, "models": models}}, progress=False)
        sel, labels = ctx.tables.get("topic_selection"), ctx.tables.get("topic_labels")
        if sel is not None and len(sel):
            t = Table(title="K selection (selected row marked *)")
            for c in ("model", "k", "npmi", "umass", "exclusivity", "perplexity", "stability"):
                t.add_column(c, justify="right")
            for r in sel.itertuples(index=False):
                vals = [getattr(r, c) for c in ("npmi", "umass", "exclusivity", "perplexity", "stability")]
                t.add_row(r.model + ("*" if r.selected else ""), str(r.k),
                          *("-" if v != v else f"{v:.3f}" for v in vals))
            out_console.print(t)
        if labels is not None and len(labels):
            t = Table(title="topic labels")
            for c in labels.columns:
                t.add_column(c)
            for r in labels.itertuples(index=False):
                t.add_row(*(str(v) for v in r))
            out_console.print(t)
        out_console.print(f"wrote the topic tables to {out / 'tables'}")

    @app.command("kwic")
    def kwic_cmd(
        patterns: List[str] = typer.Argument(..., help="Words, globs (prevent*) or quoted phrases "
                                             "('responsibility to protect')."),
        corpus: str = corpus_option(),
        window: Optional[int] = typer.Option(None, "--window", "-w", min=0,
                                             help="Words of context on each side (compare.kwic_window)."),
        regex: bool = typer.Option(False, "--regex", help="Patterns are regular expressions (per word)."),
        case_sensitive: bool = typer.Option(False, "--case-sensitive", help="Match case exactly."),
        limit: int = typer.Option(40, "--limit", "-n", min=0, help="Lines to print (0: all); the CSV gets all."),
        csv: Optional[Path] = typer.Option(None, "--csv", help="Write the whole concordance to this CSV file."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default: a user cache folder)."),
        set_: Optional[List[str]] = set_option("compare.kwic_window=8"),
    ) -> None:
        """Keyword-in-context concordance: the kwic.csv table of the 'compare' stage."""
        from analysis.run.tables import write_csv
        from analysis.textstats.kwic import compile_pattern

        with cli_errors():  # a bad pattern is a usage error before anything runs
            for pat in patterns:
                compile_pattern(pat, valuetype="regex" if regex else "glob", case_insensitive=not case_sensitive)
        flags = {"compare": {"kwic_patterns": list(patterns), "kwic_window": window,
                             "kwic_valuetype": "regex" if regex else None,
                             "kwic_case_insensitive": False if case_sensitive else None}}
        ctx = run_command(corpus, out or _quick_out(corpus), sets=set_, flags=flags, only=["compare"],
                          quiet=True)
        df = ctx.tables["kwic"]
        if csv:
            write_csv(df, csv)
        t = Table(title=f"{len(df)} matches in {df['doc_id'].nunique() if len(df) else 0} documents")
        t.add_column("doc_id", overflow="fold")
        t.add_column("pre", justify="right")
        t.add_column("keyword", style="bold")
        t.add_column("post")
        for r in (df if not limit else df.head(limit)).itertuples(index=False):
            t.add_row(str(r.doc_id), r.pre, r.keyword, r.post)
        out_console.print(t)
        if csv:
            out_console.print(f"wrote {len(df)} rows to {csv}")

    @app.command("keyness")
    def keyness_cmd(
        corpus: str = corpus_option(),
        compare: Optional[str] = typer.Option(
            None, "--compare", help="Target vs reference (compare.comparisons): 'anchor', 'speaker=António "
            "Guterres vs Ban Ki-moon', 'year>=2017', 'venue=report' (reference: the rest). Default: the corpus default."),
        measure: Optional[str] = typer.Option(None, "--measure", help="g2 or chi2 (compare.measure)."),
        correction: Optional[str] = typer.Option(None, "--correction", help="default or yates (Yates' correction for "
                                                 "chi2 and G2 where an expected cell is below 5, as quanteda "
                                                 "computes it), williams, none (compare.correction)."),
        fightin_words: bool = typer.Option(False, "--fightin-words", help="Fightin' Words (Monroe et al. 2008) instead."),
        alpha0: Optional[float] = typer.Option(None, "--alpha0", help="Fightin' Words prior scale (compare.fw_alpha0)."),
        top: int = typer.Option(20, "--top", "-n", min=1, help="Terms to print for each side."),
        csv: Optional[Path] = typer.Option(None, "--csv", help="Write the whole table to this CSV file."),
        anchor: Optional[str] = anchor_option(),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default: a user cache folder)."),
        set_: Optional[List[str]] = set_option("compare.min_count=5"),
    ) -> None:
        """Keyness (G2, chi2, log ratio, BH) or Fightin' Words: the keyness/fightin_words tables of 'compare'."""
        from analysis.run.tables import write_csv

        flags = {"compare": {"comparisons": [compare] if compare else None, "measure": measure,
                             "correction": correction, "fw_alpha0": alpha0, "min_count": 1}}
        for s in set_ or []:
            if s.startswith("compare.min_count="):
                flags["compare"].pop("min_count")
        ctx = run_command(corpus, out or _quick_out(corpus), sets=set_, flags=flags, only=["compare"],
                          anchor=anchor, quiet=True)
        df = ctx.tables["fightin_words" if fightin_words else "keyness"]
        if not len(df):
            skipped = [m for m in ctx.messages if "comparison" in m and "skipped" in m]
            msg = "; ".join(skipped) or "no documents with text"
            console.print(f"[red]{'usage' if skipped else 'error'}:[/] no keyness table: {escape(msg)}")
            raise typer.Exit(2 if skipped else 1)
        labels = list(dict.fromkeys(df["comparison"].astype(str)))
        label = labels[-1] if not compare else labels[0]
        df = df[df["comparison"].astype(str) == label]
        score = "z" if fightin_words else (measure or "g2")
        if csv:
            write_csv(df, csv)
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
