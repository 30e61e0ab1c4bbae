"""Topic shares over documents and time: unit and document shares, yearly prevalence
with bootstrap intervals, STM-style effects of time and speaker, era labels.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.stats.bootstrap import group_rng, percentile_interval, resample_counts
from analysis.topicmod.model import TopicModel
from analysis.topicmod.tables import TABLE_COLUMNS

__all__ = ["era_labels", "stat_document_topics", "stat_prevalence", "stat_topic_effects", "stat_unit_topics"]


def stat_unit_topics(model: TopicModel, units: pd.DataFrame, shares: np.ndarray | None = None) -> pd.DataFrame:
    """Long table of unit shares: ``unit_id, doc_id, topic, share``."""
    theta = model.doc_topic_ if shares is None else shares
    if len(units) != theta.shape[0]:
        raise ValueError(f"{len(units)} units but {theta.shape[0]} rows of shares")
    K = theta.shape[1]
    return pd.DataFrame({
        "unit_id": np.repeat(units["unit_id"].astype(str).to_numpy(), K),
        "doc_id": np.repeat(units["doc_id"].astype(str).to_numpy(), K),
        "topic": np.tile(np.arange(1, K + 1), len(units)),
        "share": theta.ravel(),
    })



def stat_document_topics(unit_topics: pd.DataFrame, units: pd.DataFrame,
                         weight_col: str = "n_model_tokens") -> pd.DataFrame:
    """Token-weighted topic shares per document.

    ``share(d, k) = sum_u w_u theta_uk / sum_u w_u`` over the units ``u`` of
    document ``d`` with weights ``w_u`` (model tokens; equal weights if the column
    is missing). Returns ``doc_id, year, date, topic, share, n_tokens``.
    """
    w = units[weight_col].to_numpy(dtype=np.float64) if weight_col in units.columns else np.ones(len(units))
    wmap = pd.Series(w, index=units["unit_id"].astype(str).to_numpy())
    ut = unit_topics.copy()
    ut["w"] = wmap.reindex(ut["unit_id"].astype(str)).to_numpy()
    ut["ws"] = ut["w"] * ut["share"]
    g = ut.groupby(["doc_id", "topic"], sort=True)[["ws", "w"]].sum().reset_index()
    g["share"] = np.where(g["w"] > 0, g["ws"] / g["w"].where(g["w"] > 0, 1.0), np.nan)
    meta_cols = [c for c in ("year", "date") if c in units.columns]
    meta = units.drop_duplicates("doc_id")[["doc_id", *meta_cols]].copy()
    meta["doc_id"] = meta["doc_id"].astype(str)
    out = g.merge(meta, on="doc_id", how="left")
    for c in ("year", "date"):
        if c not in out.columns:
            out[c] = pd.NA
    out["n_tokens"] = out["w"]
    out = out.sort_values(["date", "doc_id", "topic"], na_position="last", kind="stable")
    return out[["doc_id", "year", "date", "topic", "share", "n_tokens"]].reset_index(drop=True)


def _label(value):
    """A group label for :func:`~analysis.stats.bootstrap.group_rng`: ``2011.0`` and ``2011`` are one year."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def stat_prevalence(document_topics: pd.DataFrame, n_boot: int = 500, level: float = 0.95,
                    random_state: int = 0, by: str = "year") -> pd.DataFrame:
    """Topic share per year with percentile bootstrap intervals over documents.

    The share of topic ``k`` in year ``t`` is the token-weighted mean of the
    document shares of that year (weights ``n_tokens``, equal if the column is
    missing). Intervals resample the year's documents with replacement
    (``n_boot`` times, stratified by year) and take the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` percentiles of the resampled shares. A year with one
    document gets a degenerate interval; ``n_boot=0`` gives NaN bounds.

    The resamples follow the package's one rule (:mod:`analysis.stats.bootstrap`):
    year ``t`` draws from ``group_rng(random_state, "topic_prevalence", t)``
    (:func:`~analysis.stats.bootstrap.resample_counts`,
    :func:`~analysis.stats.bootstrap.percentile_interval`), over its documents in
    ``doc_id`` order, so a year's interval depends only on its own documents and the
    seed: adding or removing another year changes no other year's interval.

    Returns ``<by>, topic, share, ci_low, ci_high, n_docs``.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    """
    cols = [by, "topic", "share", "ci_low", "ci_high", "n_docs"]
    dt = document_topics.dropna(subset=[by])
    if dt.empty:
        return pd.DataFrame(columns=cols)
    wide = dt.pivot_table(index=["doc_id", by], columns="topic", values="share", aggfunc="first")
    wide = wide.sort_index()
    topics = wide.columns.to_numpy()
    if "n_tokens" in dt.columns:
        w_all = dt.drop_duplicates("doc_id").set_index("doc_id")["n_tokens"].astype(float)
        w_all = w_all.reindex(wide.index.get_level_values("doc_id")).to_numpy()
    else:
        w_all = np.ones(len(wide))
    rows = []
    years = wide.index.get_level_values(by).to_numpy()
    S_all = wide.to_numpy(dtype=np.float64)
    for y in sorted(pd.unique(years)):
        sel = years == y
        S, w = S_all[sel], w_all[sel]
        point = (w[:, None] * S).sum(0) / w.sum()
        nd = len(w)
        if n_boot > 0:
            C = resample_counts(nd, n_boot, group_rng(random_state, "topic_prevalence", _label(y)))
            Cw = C * w[None, :]
            B = (Cw @ S) / Cw.sum(axis=1, keepdims=True)
            lo, hi = percentile_interval(B, ci=level, axis=0)
        else:  # no replicates: no interval
            lo = hi = np.full(len(topics), np.nan)
        for j, k in enumerate(topics):
            rows.append((y, int(k), point[j], lo[j], hi[j], nd))
    return pd.DataFrame(rows, columns=cols)


def stat_topic_effects(unit_shares: np.ndarray, units: pd.DataFrame, covariate: str | None = "speaker",
                       spline_df: int = 4, level: float = 0.95, labels: Sequence[str] | None = None,
                       model: str = "", k: int | None = None) -> pd.DataFrame:
    """STM-style regression of unit topic shares on time and speaker (or era).

    For each topic, OLS of the unit share on a cubic B-spline of ``year``
    (``bs(year, df=spline_df)``, patsy) plus ``C(covariate)`` when it has at least
    two levels, with standard errors clustered by document (units of one speech
    are not independent). This is the "method of composition"-free point estimate
    of stm's ``estimateEffect``; unlike stm it does not propagate the topic
    model's own uncertainty, which the bootstrap in :func:`stat_prevalence` and the
    stability column of the K selection address.

    Returns rows of two kinds: ``kind="coefficient"`` (``term`` is the patsy
    column name) and ``kind="expected"`` (expected share at each observed
    ``year``, other covariates at their most frequent level; ``term="year"``).
    Columns as ``TABLE_COLUMNS["topic_effects"]``, ``method = "posthoc"`` (the
    method of composition, :mod:`analysis.topicmod.composition`, writes
    ``"composition"`` and gives wider, honest intervals).

    References
    ----------
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. *American Journal of Political
    Science*, 58(4), 1064-1082.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50(2), 317-372.
    """
    import statsmodels.formula.api as smf

    cols = TABLE_COLUMNS["topic_effects"]
    units = units.reset_index(drop=True)
    data = pd.DataFrame({"year": pd.to_numeric(units["year"], errors="coerce").to_numpy(dtype=np.float64),
                         "doc_id": units["doc_id"].astype(str).to_numpy()})
    ok = ~np.isnan(data["year"].to_numpy())
    rhs = []
    n_years = data.loc[ok, "year"].nunique()
    if n_years >= 2:
        df_eff = int(min(spline_df, n_years - 1))
        rhs.append(f"bs(year, df={df_eff}, degree={min(3, df_eff)})" if df_eff >= 3 else "year")
    if covariate and covariate in units.columns:
        data["cov"] = units[covariate].astype(str).to_numpy()
        ok &= units[covariate].notna().to_numpy()
        if data.loc[ok, "cov"].nunique() >= 2:
            rhs.append("C(cov)")
    data = data[ok].reset_index(drop=True)
    shares = np.asarray(unit_shares)[ok]
    n_clusters = data["doc_id"].nunique()
    if not rhs or n_clusters < 2 or len(data) <= 2:
        return pd.DataFrame(columns=cols)
    groups = pd.factorize(data["doc_id"])[0]
    K = shares.shape[1]
    newdata = pd.DataFrame({"year": np.sort(data["year"].unique())})
    if "C(cov)" in rhs:
        newdata["cov"] = data["cov"].value_counts().sort_index().idxmax()
    formula = "share ~ " + " + ".join(rhs)
    rows = []
    for j in range(K):
        data["share"] = shares[:, j]
        res = smf.ols(formula, data=data).fit(cov_type="cluster", cov_kwds={"groups": groups})
        ci = res.conf_int(alpha=1 - level)
        lab = labels[j] if labels is not None else ""
        for term in res.params.index:
            name = term.replace("C(cov)", f"C({covariate})")
            rows.append((model, k if k is not None else K, j + 1, lab, "coefficient", name, pd.NA,
                         res.params[term], res.bse[term], res.pvalues[term], ci.loc[term, 0],
                         ci.loc[term, 1], len(data), n_clusters, "posthoc"))
        pred = res.get_prediction(newdata).summary_frame(alpha=1 - level)
        for y, (_, p) in zip(newdata["year"], pred.iterrows()):
            rows.append((model, k if k is not None else K, j + 1, lab, "expected", "year", int(y),
                         p["mean"], p["mean_se"], np.nan, p["mean_ci_lower"], p["mean_ci_upper"],
                         len(data), n_clusters, "posthoc"))
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype("Int64")
    return out


def era_labels(years, breaks) -> pd.Series:
    """Label years by era: ``breaks`` are the first years of each new era.

    ``era_labels([2005, 2010, 2018], [2007, 2017])`` gives ``"-2006", "2007-2016", "2017-"``.
    """
    if isinstance(breaks, str):
        breaks = [b for b in breaks.replace(";", ",").split(",") if b.strip()]
    b = sorted(int(x) for x in breaks)
    edges = [None, *b, None]
    names = [f"{'' if lo is None else lo}-{'' if hi is None else hi - 1}" for lo, hi in itertools.pairwise(edges)]
    y = pd.to_numeric(pd.Series(years), errors="coerce").to_numpy()
    idx = np.searchsorted(np.asarray(b), y, side="right")
    out = pd.Series([names[i] for i in idx], dtype="str")
    out[np.isnan(y)] = pd.NA
    return out
