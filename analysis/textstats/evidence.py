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

from analysis.textstats.kwic import stat_kwic
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
    DataFrame ``comparison, term, side (target/reference), doc_id, year, speaker,
    pre, keyword, post``.

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
    parts = []
    # only paragraphs that contain a term's first word as a substring can match (a superset, fast)
    firsts = sorted({t.split()[0].lower() for t in terms if t.split()})
    may = units["text"].astype(str).str.contains("|".join(map(re.escape, firsts)), case=False, regex=True)
    for side, ids in (("target", target_docs), ("reference", reference_docs)):
        u = units[may & units["doc_id"].astype(str).isin(set(map(str, ids)))]
        if u.empty:
            continue
        k = stat_kwic(u, terms, window=window, valuetype="fixed", case_insensitive=True)
        if k.empty:
            continue
        k = k.assign(_row=np.arange(len(k)))
        k["_nth"] = k.groupby(["pattern", "doc_id"]).cumcount()
        k = k.sort_values(["pattern", "_nth", "_row"], kind="stable")
        k = k.groupby("pattern", sort=False).head(n_lines).sort_values("_row")
        parts.append(k.assign(side=side, term=k["pattern"], comparison=comparison))
    if not parts:
        return pd.DataFrame(columns=TERM_KWIC_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    rank = {t: i for i, t in enumerate(terms)}
    out = out.assign(_t=out["term"].map(rank), _s=(out["side"] == "reference").astype(int))
    out = out.sort_values(["_t", "_s", "_row"], kind="stable")
    return out.reindex(columns=TERM_KWIC_COLUMNS).reset_index(drop=True)
