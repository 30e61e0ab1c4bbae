"""Similarity: the cosine of count vectors against quanteda.textstats' ``textstat_simil``.

The count matrices are derived from quanteda's own ``data_corpus_inaugural`` (see
``data/similarity/README.md``); tokenised with :func:`analysis.tokens.tokens`, they are the
very dfm quanteda printed its numbers from (every printed digit agrees).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.textstats.similarity import cosine_matrix

from .registry import DATA, case

D = DATA / "similarity"
TEXTSTATS = "quanteda/quanteda.textstats @ 9fc27080decb093d45aeb018255c1528da9780a4"


def _dfm(name: str) -> tuple[list[str], sp.csr_matrix]:
    long = pd.read_csv(D / name, keep_default_na=False, dtype={"doc_id": str, "term": str})
    docs = list(dict.fromkeys(long["doc_id"]))
    terms = sorted(set(long["term"]))
    r = long["doc_id"].map({d: i for i, d in enumerate(docs)}).to_numpy()
    c = long["term"].map({t: i for i, t in enumerate(terms)}).to_numpy()
    return docs, sp.csr_matrix((long["count"].to_numpy(float), (r, c)), shape=(len(docs), len(terms)))


DOCS = ["2001-Bush", "2005-Bush", "2009-Obama", "2013-Obama", "2017-Trump"]
# as.matrix(textstat_simil(dfmat, method = "cosine", margin = "documents")), the pairs among
# the five addresses 2001-2017 (the printed matrix also has 2021-Biden, absent from our copy)
_PRINTED = {
    ("2001-Bush", "2005-Bush"): 0.5204355, ("2001-Bush", "2009-Obama"): 0.5411649,
    ("2001-Bush", "2013-Obama"): 0.5561972, ("2001-Bush", "2017-Trump"): 0.4518935,
    ("2005-Bush", "2009-Obama"): 0.4575297, ("2005-Bush", "2013-Obama"): 0.5163644,
    ("2005-Bush", "2017-Trump"): 0.4349030, ("2009-Obama", "2013-Obama"): 0.6373318,
    ("2009-Obama", "2017-Trump"): 0.4481950, ("2013-Obama", "2017-Trump"): 0.4546945,
}


@case(id="simil-cosine-inaugural-2001-2017", family="similarity", method="cosine similarity of documents",
      reference="quanteda.textstats textstat_simil(method = 'cosine', margin = 'documents')",
      source=f"{TEXTSTATS} docs/reference/textstat_simil.html, example 'similarities for documents' "
             "(as.matrix(tstat1))",
      data="data_corpus_inaugural 2001-2017 (quanteda), tokens(remove_punct = TRUE), Snowball "
           "stopwords removed, dfm; counts in data/similarity/inaugural_2001_2017_nostop.csv",
      published={f"{a} ~ {b}": v for (a, b), v in _PRINTED.items()}, atol=5e-8)
def _():
    docs, X = _dfm("inaugural_2001_2017_nostop.csv")
    C = cosine_matrix(X)
    i = {d: k for k, d in enumerate(docs)}
    return {f"{a} ~ {b}": C[i[a], i[b]] for a, b in _PRINTED}


@case(id="simil-cosine-to-one-document", family="similarity", method="cosine similarity to one document",
      reference="quanteda.textstats textstat_simil(dfmat, dfmat['2017-Trump', ], method = 'cosine')",
      source=f"{TEXTSTATS} docs/reference/textstat_simil.html, example 'similarities for specific documents'",
      data="as simil-cosine-inaugural-2001-2017; the column of 2017-Trump (printed to 3 decimals)",
      published={"2001-Bush": 0.452, "2005-Bush": 0.435, "2009-Obama": 0.448, "2013-Obama": 0.455,
                 "2017-Trump": 1.000}, atol=5e-4)
def _():
    docs, X = _dfm("inaugural_2001_2017_nostop.csv")
    C = cosine_matrix(X)
    j = docs.index("2017-Trump")
    return {d: C[k, j] for k, d in enumerate(docs)}


@case(id="simil-cosine-reagan-trimmed", family="similarity", method="cosine similarity of documents",
      reference="quanteda.textstats textstat_simil(mt, method = 'cosine', min_simil = 0.98)",
      source=f"{TEXTSTATS} tests/testthat/test-textstat_simil.R, 'min_simil argument works' "
             "(as.list: 1985-Reagan = 0.981771)",
      data="data_corpus_inaugural 1981-2017, tokens() with punctuation kept, dfm, dfm_trim(min_termfreq = 10) "
           "over the ten addresses; the two Reagan rows in data/similarity/inaugural_reagan_trimmed.csv",
      published=0.981771, atol=5e-7)
def _():
    docs, X = _dfm("inaugural_reagan_trimmed.csv")
    return float(cosine_matrix(X)[docs.index("1981-Reagan"), docs.index("1985-Reagan")])


QUANTEDA_TFIDF = "quanteda/quanteda docs/reference/dfm_tfidf.html @ 00e66482dc7bd504ed2d8408eafd314d65a6db17"
_WIKI_TERMS = ["this", "is", "a", "sample", "another", "example"]
_WIKI = np.array([[1, 1, 2, 1, 0, 0], [1, 1, 0, 0, 2, 3]], dtype=float)


def _tfidf_differs(ours, published):
    """Terms in one document only: the same relative weights as quanteda (both tf x idf with one
    idf for them); terms in every document: 0 in quanteda, positive in ours (smoothed idf)."""
    o, p = np.asarray(ours, float).reshape(2, 6), np.asarray(published, float).reshape(2, 6)
    ubiquitous = (_WIKI > 0).all(axis=0)
    if not ((p[:, ubiquitous] == 0).all() and (o[:, ubiquitous] > 0).all()):
        return False, "expected: ubiquitous terms 0 in quanteda, positive in ours"
    for d in range(2):
        rare = (~ubiquitous) & (_WIKI[d] > 0)
        ratio_o, ratio_p = o[d, rare] / o[d, rare].max(), p[d, rare] / p[d, rare].max()
        if not np.allclose(ratio_o, ratio_p, atol=0.08):     # quanteda prints 2 decimals
            return False, f"document {d + 1}: relative weights {ratio_o} vs quanteda {ratio_p}"
    return True, ("same relative weights for the terms of one document; 'this' and 'is' (in both "
                  "documents) weigh 0 in quanteda, " + f"{o[0, 0]:.3f} in ours")


@case(id="simil-tfidf-weighting-differs", family="similarity", method="TF-IDF weights (the vectors of similarity to the anchor)",
      reference="quanteda dfm_tfidf(wiki_dfm, scheme_tf = 'prop') (base 10, idf log10(N / df))",
      source=f"{QUANTEDA_TFIDF}, example 'replication of worked example from Wikipedia'",
      data="the example's 2 x 6 count matrix (this is a sample / this is another example)",
      published=[0, 0, 0.12, 0.06, 0, 0, 0, 0, 0, 0, 0.09, 0.13], check=_tfidf_differs,
      reason="We weight by scikit-learn's smoothed idf, ln((1 + N) / (1 + df)) + 1, and l2-normalise; "
             "quanteda's default idf, log10(N / df), is 0 for a term in every document, so with two "
             "documents (the anchor and one other) every shared term weighs 0 and their cosine is 0 "
             "whatever they say. Cosines on our vectors therefore differ from textstat_simil(dfm_tfidf(x)); "
             "on raw counts they agree (the cases above).")
def _():
    from analysis.textstats.similarity import tfidf

    X, _ = tfidf(sp.csr_matrix(_WIKI))
    return X.toarray().ravel()
