"""Pipeline stage ``topics``."""
from __future__ import annotations

import numpy as np
import pandas as pd
from analysis.topicmod.model import (TABLE_COLUMNS, TopicModel, _split, choose_k, era_labels, k_grid, merge_short_units, stat_alignment, stat_document_topics, stat_k_selection, stat_prevalence, stat_representative_units, stat_topic_effects, stat_topic_labels, stat_topic_terms, stat_unit_topics)


# ----------------------------------------------------------------------------- pipeline stage
DEFAULTS = {
    "model": "nmf",          # model whose K is selected and reported (lda | nmf)
    "models": "auto",        # models scanned: "lda,nmf", "nmf", ...; auto = both up to 5000 units, else nmf
    "auto_lda_max_units": 5000,
    "k": None,               # fixed K (skips the rule; the grid is still reported)
    "k_min": 4,
    "k_max": 20,
    "k_step": 4,
    "n_runs": 5,             # seeds / subsamples per K for stability
    "sample_frac": 0.8,
    "min_stability": 0.7,
    "top_n": 10,
    "n_terms": 20,
    "unit": "paragraph",     # paragraph | document | window
    "window": 200,           # words per unit when unit=window
    "min_unit_tokens": 5,    # merge units with fewer model tokens
    "min_df": "auto",        # auto: 1 below 100 units, else 2
    "max_df": 0.5,
    "n_boot": 500,
    "covariate": "speaker",  # speaker | era | any docvar | none
    "era_breaks": None,      # first years of eras, e.g. [2007, 2017], for covariate=era without an era docvar
    "spline_df": 4,
    "lambda": 0.6,
    "frex_weight": 0.5,
    "n_examples": 3,
}


_CACHE_VERSION = 2  # bump when a cached result's definition changes


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS[name])


def _write_empty(ctx, note: str) -> None:
    ctx.log(f"topics: skipped ({note}); writing empty tables")
    for name in TABLE_COLUMNS:
        ctx.write_table(name, _empty(name))


def _as_int(v):
    return None if v in (None, "", "none", "None") else int(v)


def _merged_units(units: pd.DataFrame, dtm, min_unit_tokens: int):
    """``merge_short_units`` on the stage's DTM, dropping units left without model tokens."""
    units_m, M = merge_short_units(units, dtm.matrix, min_unit_tokens)
    keep = units_m["n_model_tokens"].to_numpy() > 0
    return units_m[keep].reset_index(drop=True), M[keep]


def _effects(model, units_m: pd.DataFrame, docvars: pd.DataFrame, p: dict, labels: list, model_name: str,
             k: int):
    """The effects regression with the covariate resolved from ``p``; returns (table, log messages)."""
    notes = []
    units_m = units_m.copy()
    cov = None if str(p["covariate"]).lower() in ("none", "", "null") else str(p["covariate"])
    if cov is not None and cov not in units_m.columns:
        extra = docvars.drop_duplicates("doc_id").set_index("doc_id")
        if cov in extra.columns:
            units_m[cov] = units_m["doc_id"].map(extra[cov]).to_numpy()
        elif cov == "era" and p["era_breaks"]:
            units_m["era"] = era_labels(units_m["year"], p["era_breaks"])
    if cov is not None and cov not in units_m.columns:
        notes.append(f"topics: covariate {cov!r} is not a docvar; regression on time only")
        cov = None
    eff = stat_topic_effects(model.doc_topic_, units_m, covariate=cov, spline_df=int(p["spline_df"]),
                             labels=labels, model=model_name, k=k)
    if eff.empty:
        notes.append("topics: too few documents or years for the effects regression; empty topic_effects")
    return (eff if len(eff) else _empty("topic_effects")), notes


def _alignment(model, M, terms, methods: list, model_name: str, k: int, sample_frac: float, seed: int):
    """``topic_alignment``: the reported model against a seed + 1 refit and the other model(s)."""
    # same model refitted with seed + 1 on a random sample_frac of the units (as one stability
    # run; NMF is deterministic given the data, so a seed alone would change nothing), and the
    # other model(s) at the same K on all units
    align = []
    tr, _ = _split(M.shape[0], sample_frac, seed + 1)
    other_seed = TopicModel(method=model_name, n_components=k, random_state=seed + 1).fit(M[tr], terms=terms)
    align.append(stat_alignment(model, other_seed))
    for other in methods:
        if other != model_name:
            o = TopicModel(method=other, n_components=k, random_state=seed).fit(M, terms=terms)
            align.append(stat_alignment(model, o))
    return pd.concat(align, ignore_index=True)


def stage(ctx) -> None:
    """Pipeline stage ``topics``: selection grid, final model, labels, prevalence, effects.

    Parameters (``--set topics.<key>=<value>``) are listed in ``DEFAULTS``. Tables:
    ``topic_selection, topic_terms, topic_labels, doc_topics, document_topics,
    topic_prevalence, topic_effects, topic_alignment, topic_examples``.

    Every expensive step goes through ``ctx.cached`` with a key holding every
    parameter it depends on (the corpus hash, seed and text settings are added by
    the cache), so a second run with the same inputs only reads results back; the
    fitted model is loaded from the cache only when a step that needs it has to be
    recomputed.
    """
    from analysis.dtm import build_dtm

    p = ctx.params("topics", dict(DEFAULTS))
    unknown = sorted(set(p) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"--set topics.{unknown[0]}: unknown parameter; known: {', '.join(DEFAULTS)}")
    model_name = str(p["model"]).lower()
    unit_kind = str(p["unit"]).lower()
    if unit_kind == "paragraph":
        units = ctx.units
    elif unit_kind in ("document", "window"):
        from analysis.text import make_units

        units = ctx.cached("topics_units", {"kind": unit_kind, "window": int(p["window"]), "code": _CACHE_VERSION},
                           lambda: make_units(ctx.corpus, kind=unit_kind, window=int(p["window"])))
    else:
        raise ValueError(f"topics.unit must be paragraph, document or window, not {unit_kind!r}")
    if str(p["models"]).lower() == "auto":
        n_u = 0 if units is None else len(units)
        if n_u <= int(p["auto_lda_max_units"]):
            methods = ["lda", "nmf"]
        else:
            methods = ["nmf"]
            ctx.log(f"topics: {n_u} units > {p['auto_lda_max_units']}: LDA left out of the K scan to keep "
                    "the run affordable (--set topics.models=lda,nmf to include it)")
    else:
        given = p["models"] if isinstance(p["models"], (list, tuple)) else str(p["models"]).split(",")
        methods = [str(m).strip().lower() for m in given if str(m).strip()]
    if model_name not in methods:
        methods.append(model_name)
    for m in methods:
        if m not in ("lda", "nmf"):
            raise ValueError(f"topics.models: unknown model {m!r}; use lda and/or nmf")
    if units is None or len(units) == 0:
        _write_empty(ctx, "no units")
        return
    units = units.reset_index(drop=True)
    n_docs = units["doc_id"].nunique()
    max_df = float(p["max_df"]) if n_docs > 1 or len(units) > 1 else 1.0
    min_df = (1 if len(units) < 100 else 2) if str(p["min_df"]) == "auto" else int(p["min_df"])
    dtm_params = {"min_df": min_df, "max_df": max_df, "unit": unit_kind, "window": int(p["window"]),
                  "code": _CACHE_VERSION}
    try:
        dtm = ctx.cached("topics_dtm", dtm_params,
                         lambda: build_dtm(units, text_col="text", id_col="unit_id",
                                           settings=ctx.text_settings, min_df=min_df,
                                           max_df=max_df))
    except ValueError as e:  # e.g. empty vocabulary after pruning
        _write_empty(ctx, f"no vocabulary: {e}")
        return
    min_unit_tokens = int(p["min_unit_tokens"])
    units_m, M = ctx.cached("topics_merged_units", dict(dtm_params, min_unit_tokens=min_unit_tokens),
                            lambda: _merged_units(units, dtm, min_unit_tokens))
    terms = np.asarray(dtm.terms).astype(str)
    ks = k_grid(M.shape[0], M.shape[1], int(p["k_min"]), int(p["k_max"]), int(p["k_step"]))
    k_fixed = _as_int(p["k"])
    if k_fixed is not None and k_fixed > min(M.shape):
        raise ValueError(f"topics.k={k_fixed} exceeds what {M.shape[0]} units x {M.shape[1]} terms allow")
    if not ks and k_fixed is None:
        _write_empty(ctx, f"{M.shape[0]} units x {M.shape[1]} terms are too few for a topic model")
        return
    if k_fixed is not None and k_fixed not in ks:
        ks = sorted(set(ks) | {k_fixed})
    ctx.log(f"topics: {M.shape[0]} units x {M.shape[1]} terms; scanning K={ks} for {methods}")
    seed = int(ctx.seed)
    sel_params = dict(dtm_params, ks=ks, methods=methods, n_runs=int(p["n_runs"]),
                      sample_frac=float(p["sample_frac"]), seed=seed, top_n=int(p["top_n"]),
                      min_unit_tokens=min_unit_tokens)
    selection = ctx.cached(
        "topics_selection", sel_params,
        lambda: stat_k_selection(M, terms, ks=ks, methods=methods, n_runs=int(p["n_runs"]),
                                 sample_frac=float(p["sample_frac"]), random_state=seed,
                                 top_n=int(p["top_n"])))
    if k_fixed is not None:
        k = k_fixed
        ctx.log(f"topics: K fixed by topics.k={k}")
    else:
        k = choose_k(selection, model_name, float(p["min_stability"]))
        if (selection.loc[selection["model"] == model_name, "stability"] < float(p["min_stability"])).all():
            ctx.log(f"topics: no K reached stability {p['min_stability']}; chose by NPMI alone")
        ctx.log(f"topics: rule picked K={k} for {model_name}")
    selection = selection.copy()
    selection["selected"] = (selection["model"] == model_name) & (selection["k"] == k)
    ctx.write_table("topic_selection", selection[TABLE_COLUMNS["topic_selection"]])

    # Everything below depends on the fitted model; its cache key holds all the parameters
    # above, and each later key adds the parameters of its own step. The model itself is
    # read (or fitted) only when one of these steps has to be computed.
    fit_params = dict(sel_params, model=model_name, k=k)
    fitted: list[TopicModel] = []

    def get_model() -> TopicModel:
        if not fitted:
            fitted.append(ctx.cached(
                "topics_model", fit_params,
                lambda: TopicModel(method=model_name, n_components=k, random_state=seed).fit(M, terms=terms)))
        return fitted[0]

    frex_weight, lambda_ = float(p["frex_weight"]), float(p["lambda"])
    label_params = dict(fit_params, frex_weight=frex_weight, lambda_=lambda_, n_terms=int(p["n_terms"]))
    labels, terms_df = ctx.cached(
        "topics_labels", label_params,
        lambda: (stat_topic_labels(get_model(), M, n=3, frex_weight=frex_weight, lambda_=lambda_),
                 stat_topic_terms(get_model(), n=int(p["n_terms"]), frex_weight=frex_weight)))
    label_list = labels["label_frex"].tolist()
    ctx.write_table("topic_terms", terms_df)
    ctx.write_table("topic_labels", labels)

    def shares():
        ut = stat_unit_topics(get_model(), units_m)
        dt = stat_document_topics(ut, units_m)
        return ut, dt

    ut, dt = ctx.cached("topics_shares", fit_params, shares)
    ctx.write_table("doc_topics", ut)
    ctx.write_table("document_topics", dt[TABLE_COLUMNS["document_topics"]])
    n_boot = int(p["n_boot"])
    prev = ctx.cached("topics_prevalence", dict(fit_params, n_boot=n_boot),
                      lambda: stat_prevalence(dt, n_boot=n_boot, random_state=seed))
    prev.insert(0, "model", model_name)
    prev.insert(1, "k", k)
    prev.insert(3, "label", prev["topic"].map(dict(zip(labels["topic"], label_list))))
    ctx.write_table("topic_prevalence", prev[TABLE_COLUMNS["topic_prevalence"]])
    # the covariate's values come from the docvars, which the corpus hash in every key covers
    eff_params = dict(label_params, covariate=p["covariate"], era_breaks=p["era_breaks"],
                      spline_df=int(p["spline_df"]))
    eff, notes = ctx.cached("topics_effects", eff_params,
                            lambda: _effects(get_model(), units_m, ctx.corpus.docvars, p, label_list,
                                             model_name, k))
    for note in notes:
        ctx.log(note)
    ctx.write_table("topic_effects", eff)
    n_examples = int(p["n_examples"])
    ctx.write_table("topic_examples", ctx.cached(
        "topics_examples", dict(fit_params, n_examples=n_examples),
        lambda: stat_representative_units(get_model(), units_m, n=n_examples)))
    ctx.write_table("topic_alignment", ctx.cached(
        "topics_alignment", fit_params,
        lambda: _alignment(get_model(), M, terms, methods, model_name, k, float(p["sample_frac"]), seed)))
