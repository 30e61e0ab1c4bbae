"""Evidence tables: the passages behind a similarity score and behind a key term.

Two small tables that let a reader (and the run's HTML report) go from a number
back to the text that produced it:

* :func:`stat_paragraph_similarity` -- for each document, its paragraphs closest
  to the anchor (TF-IDF cosine of the paragraph to the anchor document);
* :func:`stat_term_kwic` -- keyword-in-context lines of a comparison's most
  distinctive terms, from the target and from the reference documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.textstats.kwic import _kwic_units, stat_kwic
from analysis.textstats.similarity import tfidf

__all__ = ["PARAGRAPH_SIMILARITY_COLUMNS", "TERM_KWIC_COLUMNS", "stat_paragraph_similarity",
           "extreme_terms", "stat_term_kwic"]

PARAGRAPH_SIMILARITY_COLUMNS = ["doc_id", "unit_id", "rank", "cosine"]
TERM_KWIC_COLUMNS = ["comparison", "term", "side", "doc_id", "year", "speaker", "pre", "keyword", "post"]


def stat_paragraph_similarity(unit_dtm, anchor: str, top: int = 3) -> pd.DataFrame:
    """Each document's ``top`` paragraphs closest to the anchor.

    The anchor vector is the anchor document's TF-IDF vector (its paragraphs'
    counts summed, idf over the documents, as in
    :func:`analysis.textstats.similarity.stat_similarity_to_anchor`); a paragraph's
    vector is its counts times the same idf. The score is their cosine.

    Parameters
    ----------
    unit_dtm : DTM
        Count matrix of paragraph units; docvars hold ``unit_id`` and ``doc_id``.
    anchor : str
        doc_id of the anchor.
    top : int
        Paragraphs kept per document (ties keep the earlier paragraph).

    Returns
    -------
    DataFrame ``doc_id, unit_id, rank, cosine`` (rank 1 = closest); the anchor's
    own paragraphs are included.

    References
    ----------
    Salton, G., & Buckley, C. (1988). Term-weighting approaches in automatic text
    retrieval. *Information Processing & Management*, 24(5), 513-523.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    dv = unit_dtm.docvars
    docs = dv["doc_id"].astype(str).to_numpy()
    if anchor not in set(docs):
        raise ValueError(f"anchor {anchor!r} has no paragraph in the matrix")
    order, codes = np.unique(docs, return_inverse=True)
    ind = sp.csr_matrix((np.ones(len(docs)), (codes, np.arange(len(docs)))), shape=(len(order), len(docs)))
    P = sp.csr_matrix(unit_dtm.matrix, dtype=float)
    X, idf = tfidf(ind @ P)
    a = X[int(np.flatnonzero(order == anchor)[0])].toarray().ravel()
    U = P @ sp.diags(idf)
    norms = np.sqrt(np.asarray(U.multiply(U).sum(axis=1)).ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(norms > 0, (U @ a) / norms, 0.0)
    df = pd.DataFrame({"doc_id": docs, "unit_id": dv["unit_id"].astype(str).to_numpy(), "cosine": cos,
                       "_pos": np.arange(len(docs))})
    df = df.sort_values(["doc_id", "cosine", "_pos"], ascending=[True, False, True], kind="stable")
    df["rank"] = df.groupby("doc_id").cumcount() + 1
    df = df[df["rank"] <= top].sort_values(["_pos"]).sort_values(["doc_id", "rank"], kind="stable")
    return df[PARAGRAPH_SIMILARITY_COLUMNS].reset_index(drop=True)


def extreme_terms(fw: pd.DataFrame, n: int) -> tuple[list[str], list[str]]:
    """The ``n`` terms with the largest and the ``n`` with the smallest Fightin' Words z."""
    z = pd.to_numeric(fw["z"], errors="coerce")
    f = fw.assign(_z=z).dropna(subset=["_z"])
    pos = f[f["_z"] > 0].sort_values(["_z", "term"], ascending=[False, True], kind="stable")
    neg = f[f["_z"] < 0].sort_values(["_z", "term"], ascending=[True, True], kind="stable")
    return pos["term"].astype(str).head(n).tolist(), neg["term"].astype(str).head(n).tolist()


def stat_term_kwic(units: pd.DataFrame, terms: Sequence[str], target_docs: Sequence[str],
                   reference_docs: Sequence[str], comparison: str, n_lines: int = 4,
                   window: int = 8) -> pd.DataFrame:
    """Keyword-in-context lines of ``terms`` on both sides of a comparison.

    Each term is searched as a fixed (case-insensitive) word or phrase in the
    paragraphs of the target and of the reference documents; the first
    ``n_lines`` lines on each side are kept, taken from as many different
    documents as possible (one line per document in corpus order, then a second,
    and so on).

    Returns
    -------
    DataFrame
        One row per line: ``comparison, term, side`` (target or reference), ``doc_id,
        year, speaker, pre, keyword, post``.

    References
    ----------
    Luhn, H. P. (1960). Key word-in-context index for technical literature
    (KWIC index). *American Documentation*, 11(4), 288-295.

    Kessler, J. S. (2017). Scattertext: a browser-based tool for visualizing how
    corpora differ. *Proceedings of ACL 2017, System Demonstrations*, 85-90.
    """
    terms = list(dict.fromkeys(str(t) for t in terms))
    if not terms or n_lines < 1:
        return pd.DataFrame(columns=TERM_KWIC_COLUMNS)
    # KWIC's own order of the units (documents by first appearance, paragraphs by position), so a
    # term's lines come in the order a scan of every unit gives them
    units = _kwic_units(units, ("date", "year", "speaker"))
    docs = units["doc_id"].astype(str)
    rank = pd.factorize(docs)[0]
    texts = units["text"].fillna("").astype(str)
    sides = [(side, docs.isin(set(map(str, ids))).to_numpy())
             for side, ids in (("target", target_docs), ("reference", reference_docs))]
    parts = []
    for term in terms:
        first = term.split()[0] if term.split() else ""
        if not first:
            continue
        # only paragraphs holding the term's first word as a substring can match (a superset, fast)
        may = texts.str.contains(re.escape(first), case=False, regex=True).to_numpy()
        for side, on_side in sides:
            cand = np.flatnonzero(may & on_side)
            k = _first_lines(units, cand, rank, term, n_lines, window)
            if k is not None:
                parts.append(k.assign(side=side, term=term, comparison=comparison))
    if not parts:
        return pd.DataFrame(columns=TERM_KWIC_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=TERM_KWIC_COLUMNS).reset_index(drop=True)


def _first_lines(units: pd.DataFrame, cand: np.ndarray, rank: np.ndarray, term: str, n_lines: int,
                 window: int) -> pd.DataFrame | None:
    """The ``n_lines`` KWIC lines of ``term`` kept by :func:`stat_term_kwic` from the units ``cand``.

    The lines kept are the first match of each document in turn (documents in
    order), then the second, and so on. So once ``n_lines`` documents with a match
    are found, later documents cannot change the choice: the candidate documents
    are searched in growing batches, not all at once (the same lines, a fraction of
    the work when a term is common).
    """
    if not len(cand):
        return None
    _, starts = np.unique(rank[cand], return_index=True)   # cand is in unit order, so ranks ascend
    take = n_lines
    while True:
        sub = cand if take >= len(starts) else cand[:starts[take]]
        k = stat_kwic(units.iloc[sub], [term], window=window, valuetype="fixed", case_insensitive=True)
        if take >= len(starts) or k["doc_id"].nunique() >= n_lines:
            break
        take *= 4
    if k.empty:
        return None
    k = k.assign(_row=np.arange(len(k)))
    k["_nth"] = k.groupby("doc_id").cumcount()
    return k.sort_values(["_nth", "_row"], kind="stable").head(n_lines).sort_values("_row")
