"""Pipeline stage ``compare``."""
from __future__ import annotations

from analysis.textstats.similarity import (CENTROID_COLUMNS, DEFAULT_PATTERNS, SIMILARITY_COLUMNS, SIMILARITY_YEARS_COLUMNS, _as_list, default_anchor, default_comparisons, document_counts, stat_centroid_distance, stat_similarity_to_anchor, stat_similarity_years, unit_counts)

import pandas as pd

from analysis.textstats.keyness import FIGHTIN_WORDS_COLUMNS, KEYNESS_COLUMNS, parse_comparison, resolve_comparison, stat_fightin_words, stat_keyness
from analysis.textstats.kwic import COLLOCATE_COLUMNS, COLLOCATION_COLUMNS, DISPERSION_COLUMNS, KWIC_COLUMNS, stat_collocates, stat_collocations, stat_kwic_dispersion
from analysis.textstats.style import stat_style

# --------------------------------------------------------------------- stage
DEFAULTS = {
    "anchor": None,            # doc_id; default: corpus anchor, else most recent document
    "comparisons": None,       # list or "spec; spec"; default: see default_comparisons
    "n_boot": 200,
    "ci": 0.95,
    "ci_method": "normal",     # similarity bootstrap interval: normal | percentile | basic
    "min_df": 1,
    "correction": "default",   # keyness: default | yates | williams | none
    "measure": "g2",           # keyness p-values from g2 or chi2
    "min_count": 3,            # keyness / Fightin' Words: drop rarer terms from the tables
    "fw_prior": "pooled",      # Fightin' Words prior: pooled | uniform
    "fw_alpha0": 1000.0,       # Fightin' Words prior scale alpha_0
    "kwic_patterns": list(DEFAULT_PATTERNS),
    "kwic_window": 5,
    "collocation_min_count": 3,
    "collocation_top": 500,
    "collocate_window": 5,     # collocates of each KWIC pattern: words within this window
    "collocate_min_count": 2,
    "collocate_top": 50,       # per node
    "mattr_window": 100,
    "mtld_threshold": 0.72,
    "n_jobs": 1,               # style: worker processes for large corpora (-1: one per CPU)
}


def _check_params(p: dict) -> None:
    """Fail fast, naming the --set key, before any expensive step."""
    from analysis.textstats.keyness import CORRECTIONS

    choices = {"correction": CORRECTIONS, "measure": ("g2", "chi2"), "fw_prior": ("pooled", "uniform"),
               "ci_method": ("normal", "percentile", "basic")}
    for key, allowed in choices.items():
        if p[key] not in allowed:
            raise ValueError(f"--set compare.{key}={p[key]!r}: choose one of {', '.join(allowed)}")
    numeric = {"n_boot": (0, None), "kwic_window": (0, None), "min_count": (1, None),
               "collocate_window": (1, None), "collocate_min_count": (1, None),
               "collocation_min_count": (1, None), "mattr_window": (1, None)}
    for key, (lo, _) in numeric.items():
        try:
            ok = int(p[key]) >= lo and float(p[key]) == int(p[key])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"--set compare.{key}={p[key]!r}: expected a whole number >= {lo}")
    for key, lo, hi in (("ci", 0, 1), ("mtld_threshold", 0, 1)):
        try:
            ok = lo < float(p[key]) < hi
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"--set compare.{key}={p[key]!r}: expected a number between {lo} and {hi}")
    try:
        ok = float(p["fw_alpha0"]) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"--set compare.fw_alpha0={p['fw_alpha0']!r}: expected a positive number")


def stage(ctx) -> None:
    """Pipeline stage ``compare``.

    Writes ``similarity_to_anchor``, ``similarity_years``, ``centroid_distance``,
    ``keyness``, ``fightin_words``, ``style``, ``kwic``, ``collocations``,
    ``collocates`` (window collocates of the KWIC patterns) and ``dispersion`` (see the README, "Tables: comparisons"). Parameters are set
    with ``--set compare.KEY=VALUE``; see :data:`DEFAULTS`. With a single
    available document, cross-document tables are written empty (with their
    columns) and a note is logged.
    """
    p = ctx.params("compare", DEFAULTS)
    _check_params(p)
    corpus = ctx.corpus.available()
    dv = corpus.docvars.reset_index(drop=True)
    settings = ctx.text_settings
    units = ctx.units
    if units is None:
        from analysis.text import make_units

        units = make_units(corpus, kind="paragraph")
    units = units[units["doc_id"].isin(set(dv["doc_id"]))].reset_index(drop=True)

    anchor = p["anchor"] or default_anchor(ctx.corpus)
    if anchor is not None and anchor not in set(dv["doc_id"]):
        raise ValueError(f"compare.anchor={anchor!r} is not an available doc_id; "
                         f"pick one from tables/documents.csv")
    if anchor is not None and anchor != ctx.corpus.anchor:
        ctx.log(f"compare: anchor is {anchor} (corpus anchor {ctx.corpus.anchor!r} "
                f"{'not available' if ctx.corpus.anchor else 'not set'}; using the most recent document)"
                if not p["anchor"] else f"compare: anchor set to {anchor}")
    n_docs = len(dv)
    ctx.log(f"compare: {n_docs} document(s), anchor {anchor}")

    # paragraph and document count matrices (tokenised once)
    def dtms():
        if len(units) == 0:
            return None, None
        u = unit_counts(units, settings=settings, min_df=p["min_df"] if len(units) > 1 else 1)
        return u, document_counts(u, dv)[0]

    udtm, ddtm = ctx.cached("compare.dtm", {"min_df": p["min_df"]}, dtms)

    # similarity to the anchor
    if anchor is None or udtm is None:
        sim = pd.DataFrame(columns=SIMILARITY_COLUMNS)
    else:
        sim = ctx.cached("compare.similarity_to_anchor",
                         {k: p[k] for k in ("n_boot", "ci", "ci_method", "min_df")} | {"anchor": anchor},
                         lambda: stat_similarity_to_anchor(
                             units, dv, anchor, settings=settings, n_boot=int(p["n_boot"]),
                             ci=float(p["ci"]), random_state=ctx.seed, min_df=p["min_df"],
                             unit_dtm=udtm, ci_method=p["ci_method"]))
    ctx.write_table("similarity_to_anchor", sim)

    n_years = int(dv["year"].dropna().nunique()) if "year" in dv.columns else 0
    if ddtm is None or n_years < 2:
        ctx.log(f"compare: {n_years} year(s) with documents; similarity_years and "
                "centroid_distance need at least two and are empty")
        ctx.write_table("similarity_years", pd.DataFrame(columns=SIMILARITY_YEARS_COLUMNS))
        ctx.write_table("centroid_distance", pd.DataFrame(columns=CENTROID_COLUMNS))
    else:
        ctx.write_table("similarity_years", ctx.cached("compare.similarity_years", {},
                                                       lambda: stat_similarity_years(ddtm)))
        ctx.write_table("centroid_distance", ctx.cached("compare.centroid_distance", {},
                                                        lambda: stat_centroid_distance(ddtm)))

    # keyness and Fightin' Words
    specs = _as_list(p["comparisons"]) if p["comparisons"] is not None else default_comparisons(ctx.corpus)
    # record what was actually used (run.json "parameters")
    ctx.used_params.setdefault("compare", {}).update({"anchor": anchor, "comparisons": specs})
    key_tables, fw_tables = [], []
    for spec in specs:
        comp = parse_comparison(spec)
        if ddtm is None:
            ctx.log(f"compare: comparison {comp.label!r} skipped: no documents")
            continue
        try:
            target, reference = resolve_comparison(comp, ddtm.docvars, anchor)
        except ValueError as e:
            ctx.log(f"compare: comparison {comp.label!r} skipped: {e}")
            continue
        if not target.any() or not reference.any():
            ctx.log(f"compare: comparison {comp.label!r} skipped: "
                    f"{int(target.sum())} target and {int(reference.sum())} reference document(s) available")
            continue
        kp = {"spec": spec, "anchor": anchor, "correction": p["correction"], "measure": p["measure"],
              "min_count": p["min_count"], "fw_prior": p["fw_prior"], "fw_alpha0": p["fw_alpha0"]}
        key_tables.append(ctx.cached("compare.keyness", kp, lambda comp=comp: stat_keyness(
            ddtm, comp, anchor=anchor, correction=p["correction"], measure=p["measure"],
            min_count=int(p["min_count"]))))
        fw_tables.append(ctx.cached("compare.fightin_words", kp, lambda comp=comp: stat_fightin_words(
            ddtm, comp, anchor=anchor, prior=p["fw_prior"], alpha_0=float(p["fw_alpha0"]),
            min_count=int(p["min_count"]))))
    ctx.write_table("keyness", pd.concat(key_tables, ignore_index=True) if key_tables
                    else pd.DataFrame(columns=KEYNESS_COLUMNS))
    ctx.write_table("fightin_words", pd.concat(fw_tables, ignore_index=True) if fw_tables
                    else pd.DataFrame(columns=FIGHTIN_WORDS_COLUMNS))

    # style
    ctx.write_table("style", ctx.cached(
        "compare.style", {"mattr_window": p["mattr_window"], "mtld_threshold": p["mtld_threshold"]},
        lambda: stat_style(corpus, mattr_window=int(p["mattr_window"]),
                           mtld_threshold=float(p["mtld_threshold"]), n_jobs=p["n_jobs"])))

    # KWIC, dispersion, collocations
    kp_ = p["kwic_patterns"]
    patterns = ([x.strip() for x in kp_.split(",") if x.strip()] if isinstance(kp_, str)
                else _as_list(kp_))
    if not patterns:
        ctx.log("compare: no kwic_patterns; kwic and dispersion are empty")
    if patterns:
        kwic, disp = ctx.cached("compare.kwic", {"patterns": patterns, "window": p["kwic_window"]},
                                lambda: stat_kwic_dispersion(corpus, patterns, window=int(p["kwic_window"])))
    else:
        kwic = pd.DataFrame(columns=["doc_id", "date", "year", "speaker", *KWIC_COLUMNS[1:]])
        disp = pd.DataFrame(columns=["doc_id", "date", "year", "speaker", *DISPERSION_COLUMNS[1:]])
    ctx.write_table("kwic", kwic)
    ctx.write_table("dispersion", disp)
    ctx.write_table("collocates", ctx.cached(
        "compare.collocates", {"nodes": patterns, "window": p["collocate_window"],
                               "min_count": p["collocate_min_count"], "top": p["collocate_top"],
                               "language": settings.language},
        lambda: stat_collocates(units, patterns, window=int(p["collocate_window"]),
                                min_count=int(p["collocate_min_count"]), language=settings.language,
                                top=int(p["collocate_top"]) if p["collocate_top"] else None)
        if len(units) and patterns else pd.DataFrame(columns=COLLOCATE_COLUMNS)))
    ctx.write_table("collocations", ctx.cached(
        "compare.collocations", {"min_count": p["collocation_min_count"], "top": p["collocation_top"],
                                 "language": settings.language},
        lambda: stat_collocations(units, min_count=int(p["collocation_min_count"]),
                                  language=settings.language,
                                  top=int(p["collocation_top"]) if p["collocation_top"] else None)
        if len(units) else pd.DataFrame(columns=COLLOCATION_COLUMNS)))
