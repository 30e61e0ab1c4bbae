"""Stage ``report`` (optional, extra ``report``): the run's interactive page, ``OUT/report/index.html``.

Reads the run's tables (of this run or of an earlier run in OUT; nothing is
recomputed) and writes one self-contained HTML file that opens offline: corpus
overview, similarity to the anchor, a term explorer per comparison, topics,
frames and the anchor with its frames highlighted, each linked to the text
behind it, and the run's provenance in a footer. Table ``report_index`` lists the
views and whether each could be drawn. ``r2p report --out OUT`` builds the same
page from a finished run's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.run.catalog import Column, Table, empty_table
from analysis.settings import StageSettings, setting

NAME = "report"
VERSION = "1"
#: every table the page reads (the stage's CONSUMES; all optional)
REPORT_TABLES = ("documents", "units", "similarity_to_anchor", "similarity_paragraphs", "fightin_words",
                 "keyness", "term_kwic", "topic_terms", "topic_prevalence", "topic_labels", "topic_examples",
                 "frames_years", "frame_changepoints", "frame_passages")
TABLES = (
    Table("report_index", "one row per view of the report page", (
        Column("view", "str", "The view of the page (overview, similarity, terms, topics, frames, anchor)."),
        Column("status", "str", "`drawn`, or `note` when the view shows a note instead (its data is missing)."),
        Column("note", "str", "Why the view could not be drawn; empty when drawn.", nullable=True),
        Column("path", "str", "The page, relative to OUT (`report/index.html`)."),
        Column("bytes", "int", "Size of the page in bytes."),
    ), "The views of the interactive report (`OUT/report/index.html`) and whether each could be drawn."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = tuple(f"table:{t}" for t in REPORT_TABLES)
INDEX_COLUMNS = TABLES[0].names


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``report`` stage (``--set report.KEY=VALUE``)."""

    group: ClassVar[str] = "report"

    max_terms: int = setting(2000, "Term explorer: most terms plotted per comparison (the most distinctive "
                             "and the most frequent are kept).", ge=10)
    n_labels: int = setting(10, "Term explorer: labelled terms per side.", ge=0)
    max_evidence_docs: int = setting(2000, "Similarity view: documents whose closest paragraphs are included "
                                     "(the most similar first).", ge=0)
    evidence_chars: int = setting(500, "Characters kept of each evidence paragraph.", ge=50)


def caps(cfg: Settings) -> dict[str, int]:
    return {"max_terms": cfg.max_terms, "n_labels": cfg.n_labels, "max_evidence_docs": cfg.max_evidence_docs,
            "evidence_chars": cfg.evidence_chars}


def index_table(html_path, data_notes: dict[str, str | None]) -> pd.DataFrame:
    size = html_path.stat().st_size
    rows = [{"view": v, "status": "note" if n else "drawn", "note": n or "", "path": "report/index.html",
             "bytes": size} for v, n in data_notes.items()]
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def run(ctx, cfg: Settings) -> None:
    try:
        from analysis.report import write_report
    except ImportError as e:
        ctx.log(f"report: needs the report extra ({e}); pip install 'r2p-analysis[report]'")
        ctx.write_table("report_index", empty_table("report_index"))
        return
    from analysis.run.runner import library_versions

    from analysis.run.tables import read_table

    tables = {}
    for n in REPORT_TABLES:
        if (t := ctx.table(n)) is None:
            continue
        path = ctx.tables_dir / f"{n}.csv"  # as written: the page equals the one `r2p report` builds
        tables[n] = read_table(path) if path.exists() else t
    if "units" not in tables and ctx.units is not None:
        tables["units"] = ctx.units
    anchor = (ctx.facts.get("anchor") or {})
    prov = {"corpus": {"name": ctx.corpus.name, "hash": ctx.fingerprint, "documents": len(ctx.full_corpus),
                       "available": len(ctx.corpus)},
            "seed": ctx.seed, "anchor": ctx.anchor, "anchor_source": anchor.get("source"),
            "text_settings": ctx.text.to_dict() if ctx.text is not None else None,
            "settings": {n: s.to_dict() for n, s in ctx.settings.items()},
            "stages": list(ctx.settings), "versions": library_versions()}
    notes = []
    if len(ctx.corpus) < 2:
        notes.append(f"Only {len(ctx.corpus)} document with text (fetch the corpus for the comparisons): the "
                     "views across documents are empty; the anchor view still shows its frames.")
    status: dict = {}
    path = write_report(ctx.write_dir, tables, prov, caps=caps(cfg), notes=notes, status=status)
    ctx.write_table("report_index", index_table(path, status))
    ctx.log(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")


def report_from_folder(out, settings: dict | None = None, log=print):
    """Build ``OUT/report/index.html`` from a finished run's folder (``OUT/tables``, ``OUT/run.json``).

    Nothing is recomputed: the page reads the tables the run wrote. ``settings``
    are this stage's (``{"max_terms": 500}``), validated as ``--set report.KEY``.
    Returns the page's path.
    """
    from pathlib import Path

    from analysis.errors import UsageError

    out = Path(out)
    tdir = out / "tables"
    if not tdir.is_dir():
        raise UsageError(f"{tdir}: no tables; run `r2p run --out {out}` first")
    cfg = Settings.from_mapping(settings or {})
    from analysis.run.publish import DirLock

    with DirLock(out):  # never read a folder a run is publishing into
        return _report(out, tdir, cfg, log)


def _report(out, tdir, cfg, log):
    import json

    from analysis.report import write_report
    from analysis.run.tables import read_table

    run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    tables = {}
    for name in REPORT_TABLES:
        p = tdir / f"{name}.csv"
        if p.exists():
            try:
                tables[name] = read_table(p)
            except Exception as e:  # noqa: BLE001 - a broken table leaves its view with a note
                log(f"report: cannot read {p} ({e}); its view shows a note")
    facts = run.get("facts") or {}
    anchor = facts.get("anchor") or {}
    corpus = run.get("corpus") or {}
    prov = {"corpus": corpus, "seed": run.get("seed"), "anchor": anchor.get("doc_id") or corpus.get("anchor"),
            "anchor_source": anchor.get("source"), "text_settings": run.get("text_settings"),
            "settings": run.get("settings"), "stages": run.get("stages"), "versions": run.get("versions")}
    notes = []
    if not run:
        notes.append(f"{out / 'run.json'} is missing: the provenance below is incomplete.")
    if corpus.get("available") is not None and int(corpus["available"]) < 2:
        notes.append(f"Only {corpus['available']} document with text (fetch the corpus for the comparisons): "
                     "the views across documents are empty; the anchor view still shows its frames.")
    missing = [n for n in ("similarity_paragraphs", "term_kwic", "frame_passages") if n not in tables]
    if missing:
        notes.append(f"This run has no {', '.join(missing)} (written by compare and frames since stage versions "
                     "with evidence tables): clicks show less text; rerun those stages for it.")
    status: dict = {}
    path = write_report(out, tables, prov, caps=caps(cfg), notes=notes, status=status)
    from analysis.run.tables import write_csv

    write_csv(index_table(path, status), tdir / "report_index.csv")
    return path
