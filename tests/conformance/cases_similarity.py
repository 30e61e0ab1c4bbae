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
