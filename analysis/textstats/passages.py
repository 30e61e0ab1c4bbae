"""How often a pattern set is spoken of: documents with a matching passage, by group and year.

The counting behind "how often do states speak of R2P, per year and region":
for every document, its paragraphs that match the patterns
(:func:`analysis.reshape.match_patterns`, as :func:`analysis.reshape.corpus_passages`
cuts them), its matches and its running words; summed by groups of docvars.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import MissingColumnsError
from analysis.reshape import match_patterns, passage_patterns
from analysis.text import paragraphs
from analysis.tokens import count_words

__all__ = ["PASSAGE_RATE_COLUMNS", "stat_passage_rates"]

#: the counts of :func:`stat_passage_rates` (after the group columns)
PASSAGE_RATE_COLUMNS = ["documents", "with_passages", "share", "passages", "matches", "words",
                        "per_10k_words"]


def stat_passage_rates(corpus, patterns: str | Sequence[str] = "r2p",
                       by: Sequence[str] = ("source", "year")) -> pd.DataFrame:
    """Documents that speak of a pattern set, by group: counts, shares and rates.

    Parameters
    ----------
    corpus : Corpus
        The documents (before reshaping into passages); only those with text count.
    patterns : str or sequence of str
        A profile name (``"r2p"``) or glob patterns (:func:`analysis.reshape.passage_patterns`).
    by : sequence of str
        Docvars to group by (``source, year``; ``un_region, year`` for the UN regional groups).

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``documents`` (with text), ``with_passages``
        (documents with at least one matching paragraph), ``share``
        (with_passages / documents), ``passages`` (matching paragraphs),
        ``matches`` (pattern matches), ``words`` (running words,
        :func:`analysis.tokens.count_words`) and ``per_10k_words``
        (10,000 * matches / words). Groups sorted by their values; documents
        whose group value is missing are left out.

    References
    ----------
    Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
    of textual data. *Journal of Open Source Software*, 3(30), 774 (dictionary
    counts by ``docvars`` groups, ``dfm_group``).
    """
    by = [by] if isinstance(by, str) else list(by)
    pats = passage_patterns(patterns)
    dv = corpus.docvars[corpus.docvars["available"]]
    missing = [c for c in by if c not in dv.columns]
    if missing:
        raise MissingColumnsError(f"stat_passage_rates: no docvar {', '.join(map(repr, missing))}; the corpus's "
                                  f"docvars are {', '.join(map(str, corpus.docvars.columns))}")
    rows = []
    for doc_id in dv["doc_id"]:
        paras = paragraphs(corpus.texts[doc_id])
        hits = [len(match_patterns(p, pats)) for p in paras]
        rows.append((doc_id, int(sum(h > 0 for h in hits)), int(sum(hits)),
                     int(sum(count_words(p) for p in paras))))
    per_doc = pd.DataFrame(rows, columns=["doc_id", "passages", "matches", "words"])
    d = dv[["doc_id", *by]].merge(per_doc, on="doc_id").dropna(subset=by)
    d["with_passages"] = (d["passages"] > 0).astype("int64")
    g = d.groupby(by, sort=True).agg(documents=("doc_id", "size"), with_passages=("with_passages", "sum"),
                                     passages=("passages", "sum"), matches=("matches", "sum"),
                                     words=("words", "sum")).reset_index()
    g["share"] = g["with_passages"] / g["documents"]
    with np.errstate(divide="ignore", invalid="ignore"):
        g["per_10k_words"] = np.where(g["words"] > 0, 1e4 * g["matches"] / g["words"].where(g["words"] > 0), np.nan)
    for c in ("documents", "with_passages", "passages", "matches", "words"):
        g[c] = g[c].astype("int64")
    return g[[*by, *PASSAGE_RATE_COLUMNS]]
