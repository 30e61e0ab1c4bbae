"""Comparing statements across years: similarity to the anchor, year-by-year
similarity, distance to the centroid, and the ``compare`` pipeline stage.

The stage also writes the keyness, Fightin' Words, style, KWIC, collocation and
dispersion tables (computed by :mod:`analysis.keyness`, :mod:`analysis.style`
and :mod:`analysis.kwic`).

Similarity is the cosine of TF-IDF vectors (scikit-learn's ``TfidfTransformer``:
raw counts times smoothed idf, l2-normalised). The uncertainty of a document's
similarity to the anchor comes from a bootstrap over its paragraphs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from analysis.errors import UsageError
from analysis.dtm import DTM, build_dtm
from analysis.stats.bootstrap import group_rng, percentile_interval, resample_counts
from analysis.stats.parallel import chunks, parallel_map, pmap

__all__ = [
    "CENTROID_COLUMNS",
    "SIMILARITY_COLUMNS",
    "SIMILARITY_YEARS_COLUMNS",
    "SOURCE_YEARS_COLUMNS",
    "cosine_matrix",
    "default_comparisons",
    "document_counts",
    "stat_centroid_distance",
    "stat_similarity_by",
    "stat_similarity_to_anchor",
    "stat_similarity_years",
    "tfidf",
    "unit_counts",
]

SIMILARITY_COLUMNS = ["doc_id", "year", "speaker", "cosine", "ci_low", "ci_high"]
SIMILARITY_YEARS_COLUMNS = ["year_a", "year_b", "cosine"]
CENTROID_COLUMNS = ["year", "n_docs", "cosine", "distance"]
SOURCE_YEARS_COLUMNS = ["source", "year", "n_docs", "cosine", "median", "ci_low", "ci_high"]


# ---------------------------------------------------------------- matrices
def unit_counts(units: pd.DataFrame, settings=None, min_df: float = 1,
                max_df: float = 1.0, ngram_range=(1, 1)) -> DTM:
    """Count DTM of paragraph units (rows: units; docvars keep ``doc_id``), counted in blocks on the
    run's worker processes when it has more than one (:func:`analysis.dtm.build_dtm`)."""
    need = {"unit_id", "doc_id", "text"}
    missing = need - set(units.columns)
    if missing:
        raise ValueError(f"units frame lacks columns {sorted(missing)} (see analysis.units.make_units)")
    # with several workers, blocks of units are counted on them (the same matrix, analysis.dtm.build_dtm)
    return build_dtm(units, text_col="text", id_col="unit_id", settings=settings,
                     ngram_range=tuple(ngram_range), min_df=min_df, max_df=max_df, map=parallel_map())


def document_counts(unit_dtm: DTM, docvars: pd.DataFrame) -> tuple[DTM, np.ndarray]:
    """Sum unit rows into documents, in the order of ``docvars``.

    Returns the document DTM and, for every unit row, the index of its document.
    """
    ids = docvars["doc_id"].astype(str).tolist()
    pos = {d: i for i, d in enumerate(ids)}
    uid = unit_dtm.docvars["doc_id"].astype(str)
    unknown = sorted(set(uid) - set(pos))
    if unknown:
        raise ValueError(f"units belong to documents not in the docvars: {unknown[:3]}")
    codes = uid.map(pos).to_numpy(dtype=np.int64)
    ind = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                        shape=(len(ids), len(codes)))
    mat = (ind @ unit_dtm.matrix).tocsr()
    return DTM(mat, unit_dtm.terms, docvars.reset_index(drop=True),
               {**unit_dtm.params, "id_col": "doc_id", "summed_from": "units"}), codes


def tfidf(counts) -> tuple[sp.csr_matrix, np.ndarray]:
    """TF-IDF (raw tf x smooth idf, rows l2-normalised) and the idf vector.

    idf_t = ln((1 + n) / (1 + df_t)) + 1, as scikit-learn's ``TfidfTransformer``
    with ``smooth_idf=True``.

    References
    ----------
    Salton, G., & Buckley, C. (1988). Term-weighting approaches in automatic text
    retrieval. *Information Processing & Management*, 24(5), 513-523.
    """
    tr = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False)
    X = tr.fit_transform(sp.csr_matrix(counts))
    return X.tocsr(), tr.idf_


def cosine_matrix(X) -> np.ndarray:
    """Cosine similarity of the rows of X (rows with no terms give NaN)."""
    X = sp.csr_matrix(X, dtype=float)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(norms > 0, 1.0 / norms, np.nan)
    G = (X @ X.T).toarray()
    return G * inv[:, None] * inv[None, :]


# -------------------------------------------------------------- similarity
def stat_similarity_to_anchor(units: pd.DataFrame, docvars: pd.DataFrame, anchor: str,
                              settings=None, n_boot: int = 200, ci: float = 0.95,
                              random_state=0, min_df: float = 1,
                              unit_dtm: DTM | None = None, ci_method: str = "normal") -> pd.DataFrame:
    """TF-IDF cosine of each document to the anchor with paragraph-bootstrap intervals.

    Parameters
    ----------
    units : DataFrame
        Paragraph units (``unit_id``, ``doc_id``, ``text``), as from
        :func:`analysis.units.make_units`; a document's vector is the sum of its units.
    docvars : DataFrame
        One row per document (``doc_id``, ``year``, ``speaker``...), output order.
    anchor : str
        doc_id of the anchor.
    n_boot : int
        Bootstrap replicates. In each, a document's paragraphs are drawn with
        replacement (as many as it has), its TF-IDF vector rebuilt with the idf of
        the full corpus, and its cosine to the (fixed) anchor vector recomputed.
        0 disables the bootstrap (NaN bounds).
    ci : float
        Interval coverage (0.95).
    ci_method : {"normal", "percentile", "basic"}
        ``normal`` (default): cosine -/+ z * (standard deviation of the replicates),
        clipped to [0, 1]; ``percentile``: quantiles of the replicates; ``basic``:
        2 * cosine minus those quantiles (Davison & Hinkley 1997, eq. 5.6).
        Resampling paragraphs repeats some and drops others, which concentrates the
        term counts and biases replicate cosines *downward*; percentile intervals
        therefore often lie entirely below the estimate. The normal interval keeps
        the bootstrap's spread but is centred on the estimate.
    random_state : int
        Seed of the bootstrap. Each document's resamples come from its own stream,
        :func:`analysis.stats.bootstrap.group_rng` of the seed and its ``doc_id``, so
        adding or removing a document leaves every other document's interval unchanged.
    unit_dtm : DTM, optional
        A count DTM already built from ``units`` (same rows), to avoid re-tokenising.

    Returns
    -------
    DataFrame with ``doc_id, year, speaker, cosine, ci_low, ci_high``; the anchor
    itself has cosine 1 (its interval shows how much its own paragraphs vary).

    Raises
    ------
    UsageError
        When the anchor has no terms (an empty text, or only stopwords, one-letter words
        or terms dropped by ``min_df``): its TF-IDF vector is zero, so every cosine to it
        would be 0, a table of artefacts. The error names the anchor's doc_id. (A document
        other than the anchor with no terms gets a NaN cosine, not an error.)

    Notes
    -----
    With unit count rows p_j of a document, bootstrap weights w (multinomial),
    idf vector u and unit anchor vector a, the replicate cosine is
    (w . s) / sqrt(w' G w) with s_j = (p_j * u) . a and G = (P diag(u^2) P'),
    which equals the cosine of the rebuilt vector without forming it.

    References
    ----------
    Salton, G., & Buckley, C. (1988). Term-weighting approaches in automatic text
    retrieval. *Information Processing & Management*, 24(5), 513-523.

    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.

    Davison, A. C., & Hinkley, D. V. (1997). *Bootstrap Methods and their
    Application*. Cambridge University Press, ch. 5.
    """
    if ci_method not in ("normal", "percentile", "basic"):
        raise ValueError(f"ci_method must be 'normal', 'percentile' or 'basic', got {ci_method!r}")
    dv = docvars.reset_index(drop=True)
    ids = dv["doc_id"].astype(str).tolist()
    if anchor not in ids:
        raise ValueError(f"anchor {anchor!r} is not among the available documents")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1, got {ci}")
    if unit_dtm is None:
        units = units[units["doc_id"].astype(str).isin(set(ids))].reset_index(drop=True)
        udtm = unit_counts(units, settings=settings, min_df=min_df if len(units) > 1 else 1)
    else:
        udtm = unit_dtm.subset(unit_dtm.docvars["doc_id"].astype(str).isin(set(ids)).to_numpy())
    ddtm, codes = document_counts(udtm, dv)
    keep = ["doc_id", *[c for c in ("year", "speaker") if c in dv.columns]]
    out = dv[keep].copy()
    if udtm.matrix.shape[1] == 0:
        out["cosine"] = np.nan
        out["ci_low"] = np.nan
        out["ci_high"] = np.nan
        return out.reindex(columns=SIMILARITY_COLUMNS)
    ai = ids.index(anchor)
    if ddtm.matrix[ai].sum() == 0:
        # a zero anchor vector makes every cosine 0 (or NaN): a table, figure and by-source means
        # of artefacts; stop and say which document and why instead of publishing them
        raise UsageError(
            f"the anchor {anchor!r} has no terms after tokenising (its text is empty, or every word is "
            "a stopword, too short or below min_df), so its cosine to every document would be 0; "
            "check its text or choose another anchor (--anchor DOC_ID)")
    X, idf = tfidf(ddtm.matrix)
    a = X[ai].toarray().ravel()
    cos = np.asarray(X @ a).ravel()
    empty = np.asarray(ddtm.matrix.sum(axis=1)).ravel() == 0
    cos[empty] = np.nan
    lo = np.full(len(ids), np.nan)
    hi = np.full(len(ids), np.nan)
    if n_boot and n_boot > 0:
        P = udtm.matrix.astype(float) @ sp.diags(idf)      # units x V, idf-weighted
        s_all = np.asarray(P @ a).ravel()                  # unit . anchor
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
        todo = [i for i in range(len(ids)) if bounds[i + 1] > bounds[i] and not empty[i]]
        tasks = []
        for a0, b0 in chunks(len(todo), BOOT_CHUNK):  # fixed blocks of documents on the run's workers
            block = []
            for i in todo[a0:b0]:
                rows = order[bounds[i]:bounds[i + 1]]
                block.append((ids[i], cos[i], s_all[rows], P[rows]))
            tasks.append((block, int(n_boot), ci, ci_method, random_state))
        done = [iv for part in pmap(_anchor_intervals, tasks) for iv in part]
        for i, (low, high) in zip(todo, done):
            lo[i], hi[i] = low, high
    out["cosine"] = cos
    out["ci_low"] = lo
    out["ci_high"] = hi
    return out.reindex(columns=SIMILARITY_COLUMNS)


#: documents per task of the similarity bootstrap
BOOT_CHUNK = 256


def _anchor_intervals(block, n_boot: int, ci: float, ci_method: str, random_state: int) -> list:
    """Bootstrap intervals of the cosine to the anchor for a block of documents.

    Each item is ``(doc_id, cosine, s_rows, P_rows)``; each document draws from its own
    stream (:func:`~analysis.stats.bootstrap.group_rng` of the seed and its doc_id),
    so a block gives the same intervals wherever it runs.
    """
    out = []
    for doc_id, cos_i, s_rows, Pi in block:
        W = resample_counts(Pi.shape[0], n_boot, group_rng(random_state, doc_id))
        G = (Pi @ Pi.T).toarray()
        num = W @ s_rows
        den = np.sqrt(np.maximum(((W @ G) * W).sum(axis=1), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            reps = np.where(den > 0, num / den, np.nan)
        reps = reps[np.isfinite(reps)]
        if len(reps) < 2:
            out.append((np.nan, np.nan))
            continue
        lo, hi = percentile_interval(reps, ci, estimate=cos_i, method=ci_method)
        if ci_method == "normal":
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        out.append((float(lo), float(hi)))
    return out


def _year_tfidf(doc_dtm: DTM):
    if "year" not in doc_dtm.docvars.columns:
        raise ValueError("documents need a 'year' docvar for year-level comparisons")
    ok = doc_dtm.docvars["year"].notna().to_numpy()
    g = doc_dtm.subset(ok).group("year")
    X, _ = tfidf(g.matrix)
    return X, g.docvars


def stat_similarity_years(doc_dtm: DTM) -> pd.DataFrame:
    """Year-by-year TF-IDF cosine matrix in long form (``year_a, year_b, cosine``).

    Document counts are summed within each year, TF-IDF is computed over the
    year documents, and every ordered pair of years (diagonal included) gets a row.
    Empty when fewer than two years have documents.

    References
    ----------
    Salton, G., & Buckley, C. (1988). Term-weighting approaches in automatic text
    retrieval. *Information Processing & Management*, 24(5), 513-523.
    """
    if doc_dtm.matrix.shape[1] == 0:
        return pd.DataFrame(columns=SIMILARITY_YEARS_COLUMNS)
    X, ydv = _year_tfidf(doc_dtm)
    years = ydv["year"].astype("int64").to_numpy()
    if len(years) < 2:
        return pd.DataFrame(columns=SIMILARITY_YEARS_COLUMNS)
    C = cosine_matrix(X)
    n = len(years)
    return pd.DataFrame({"year_a": np.repeat(years, n), "year_b": np.tile(years, n),
                         "cosine": C.ravel()})


def stat_centroid_distance(doc_dtm: DTM) -> pd.DataFrame:
    """Cosine of each year's TF-IDF vector to the corpus centroid and 1 - cosine.

    The centroid is the mean of the l2-normalised year vectors (each year weighs
    the same whatever its number of documents). Columns ``year, n_docs, cosine,
    distance``; empty when fewer than two years have documents.

    References
    ----------
    Manning, C. D., Raghavan, P., & Schütze, H. (2008). *Introduction to
    Information Retrieval*, ch. 14 (centroids in vector space). Cambridge UP.
    """
    if doc_dtm.matrix.shape[1] == 0:
        return pd.DataFrame(columns=CENTROID_COLUMNS)
    X, ydv = _year_tfidf(doc_dtm)
    if X.shape[0] < 2:
        return pd.DataFrame(columns=CENTROID_COLUMNS)
    centroid = np.asarray(X.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    cos = np.asarray(X @ centroid).ravel() / norm
    return pd.DataFrame({"year": ydv["year"].astype("int64").to_numpy(),
                         "n_docs": ydv["n_docs"].astype("int64").to_numpy(),
                         "cosine": cos, "distance": 1.0 - cos})


def stat_similarity_by(similarity: pd.DataFrame, groups: pd.Series, anchor: str | None = None,
                       by: str = "year", name: str = "source", n_boot: int = 200, ci: float = 0.95,
                       random_state=0) -> pd.DataFrame:
    """Mean similarity to the anchor by group and year (how close each source comes to the anchor, yearly).

    Parameters
    ----------
    similarity : DataFrame
        ``similarity_to_anchor`` (``doc_id``, ``year``, ``cosine``), from
        :func:`stat_similarity_to_anchor`.
    groups : Series
        ``doc_id -> group label`` (the ``source`` docvar); documents without one are left out.
    anchor : str, optional
        The anchor's doc_id, left out (its cosine of 1 is no evidence).
    n_boot, ci : int, float
        Percentile bootstrap of the mean over the group-year's documents
        (0: no interval; NaN bounds also for a single document).
    random_state : int
        Each group-year draws from its own stream,
        :func:`analysis.stats.bootstrap.group_rng` of the seed, the group and the year.

    Returns
    -------
    DataFrame ``source, year, n_docs, cosine, median, ci_low, ci_high``: ``cosine``
    is the mean of the documents' cosines (each document, or passage, weighs the
    same), ``median`` their median; groups in the order of first appearance in
    ``groups``, years ascending.

    References
    ----------
    Salton, G., & Buckley, C. (1988). Term-weighting approaches in automatic text
    retrieval. *Information Processing & Management*, 24(5), 513-523.

    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13 (percentile intervals). Chapman & Hall.
    """
    cols = [name if c == "source" else c for c in SOURCE_YEARS_COLUMNS]
    for c in ("doc_id", by, "cosine"):
        if c not in similarity.columns:
            raise KeyError(f"stat_similarity_by: the similarity table lacks {c!r} (columns: "
                           f"{', '.join(map(str, similarity.columns))}); it comes from stat_similarity_to_anchor")
    d = similarity.assign(_g=similarity["doc_id"].astype(str).map(groups.rename(index=str)))
    if anchor is not None:
        d = d[d["doc_id"].astype(str) != str(anchor)]
    d = d[d["_g"].notna() & d[by].notna() & d["cosine"].notna()]
    order = {g: i for i, g in enumerate(dict.fromkeys(groups.dropna().tolist()))}
    rows = []
    for (g, y), sub in sorted(d.groupby(["_g", by]), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][1])):
        x = sub["cosine"].to_numpy(dtype=float)
        lo = hi = np.nan
        if n_boot and n_boot > 0 and len(x) > 1:
            W = resample_counts(len(x), int(n_boot), group_rng(random_state, str(g), int(y)))
            lo, hi = percentile_interval(W @ x / len(x), ci)
        rows.append((str(g), int(y), len(x), float(x.mean()), float(np.median(x)), float(lo), float(hi)))
    out = pd.DataFrame(rows, columns=cols)
    out[by] = out[by].astype("int64")
    out["n_docs"] = out["n_docs"].astype("int64")
    return out


# ------------------------------------------------------------------ defaults
def default_comparisons(corpus, study_comparisons=None) -> list[str]:
    """Default keyness comparisons of ``corpus``.

    Parameters
    ----------
    corpus : Corpus
    study_comparisons : sequence of str or None
        The comparisons the run's study names for this corpus
        (:meth:`analysis.profiles.Profile.comparisons_for`); when given, they are
        the answer, as given. None: the generic rule below.

    Returns
    -------
    list of str
        Specs for :func:`analysis.textstats.keyness.parse_comparison`. The generic
        rule: a combined corpus (a ``source`` docvar with several values) gives the
        anchor against the rest and the first source against each other one
        (``source=A vs B``); any other corpus gives the anchor (or most recent
        document) against all others, and the latest speaker against the previous
        one (speakers ordered by their last document).
    """
    if study_comparisons is not None:
        specs = [study_comparisons] if isinstance(study_comparisons, str) else list(study_comparisons)
        return [str(s) for s in specs]
    dv = corpus.available().docvars
    sources = list(dict.fromkeys(dv["source"].dropna().astype(str))) if "source" in dv.columns else []
    if len(sources) > 1:
        first = (corpus.settings.get("sources") or sources)[0]
        first = first if first in sources else sources[0]
        return ["anchor"] + [f"source={first} vs {s}" for s in sources if s != first]
    comps = ["anchor"]
    if "speaker" in dv.columns and dv["speaker"].notna().any():
        last = (dv.dropna(subset=["speaker"]).reset_index(drop=True)
                .assign(_i=lambda d: np.arange(len(d))).groupby("speaker")["_i"].max()
                .sort_values())
        if len(last) >= 2:
            latest, previous = last.index[-1], last.index[-2]
            comps.append(f"speaker={latest} vs {previous}")
    return comps


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]
