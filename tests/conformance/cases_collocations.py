"""Collocations: quanteda.textstats' lambda and z of adjacent word pairs.

:func:`analysis.textstats.kwic.stat_collocations` reports, beside PMI and G2, quanteda's
``textstat_collocations`` statistics for pairs (size 2): the log odds ratio ``lambda`` of the
pair table with 0.5 added to each cell, and its Wald ``z``. Pairs never cross punctuation,
as in quanteda.
"""

from __future__ import annotations

from analysis.textstats.kwic import stat_collocations

from .registry import case

TEXTSTATS = "quanteda/quanteda.textstats @ 9fc27080decb093d45aeb018255c1528da9780a4"
DOCS = f"{TEXTSTATS} docs/reference/textstat_collocations.html"


def _rows(texts, **kw):
    d = stat_collocations(texts, remove_stopwords=False, sort_by="z", **kw).set_index("collocation")
    return d


@case(id="collocations-lambda-z-toy", family="collocations", method="lambda and z of word pairs",
      reference="quanteda.textstats textstat_collocations(tokens('a b c a b d e b d a b'))",
      source=f"{DOCS}, example 'from a collocations object'",
      data="the example's tokens 'a b c a b d e b d a b' (min_count = 2)",
      published={"a b count": 3, "a b lambda": 3.412247, "a b z": 1.936083,
                 "b d count": 2, "b d lambda": 3.218876, "b d z": 1.799406}, atol=5e-7)
def _():
    d = _rows(["a b c a b d e b d a b"], min_count=2)
    return {f"{p} {k}": float(d.loc[p, k]) for p in ("a b", "b d") for k in ("count", "lambda", "z")}


@case(id="collocations-lambda-z-punctuation", family="collocations", method="lambda and z of word pairs (punctuation breaks pairs)",
      reference="quanteda.textstats textstat_collocations(txt, size = 2:3), the size-2 rows",
      source=f"{DOCS}, example 'vectorized size'",
      data="the example's three token strings of letters and full stops",
      published={"a b count": 7, "a b lambda": 5.652489, "a b z": 2.745546,
                 "b c count": 6, "b c lambda": 5.609472, "b c z": 2.721287,
                 "c d count": 2, "c d lambda": 4.976734, "c d z": 2.354187}, atol=5e-7)
def _():
    txt = [". . . . a b c . . a b c . . . c d e",
           "a b . . a b . . a b . . a b . a b",
           "b c d . . b c . b c . . . b c"]
    d = _rows(txt, min_count=2)
    return {f"{p} {k}": float(d.loc[p, k]) for p in ("a b", "b c", "c d") for k in ("count", "lambda", "z")}


_WASHINGTON = {  # head(textstat_collocations(data_corpus_inaugural[1:2], size = 2, min_count = 2), 10)
    "have been": (5, 5.704259, 7.354588), "has been": (3, 5.565217, 6.409333),
    "of the": (24, 1.673501, 6.382475), "i have": (5, 3.743580, 6.268303),
    "which i": (6, 3.172217, 6.135144), "will be": (4, 3.868500, 5.930143),
    "less than": (2, 6.279494, 5.529680), "public good": (2, 6.279494, 5.529680),
    "you will": (2, 4.917893, 5.431752), "may be": (3, 4.190711, 5.328038),
}


@case(id="collocations-lambda-z-inaugural", family="collocations", method="lambda and z of word pairs (top 10 by z)",
      reference="quanteda.textstats textstat_collocations(data_corpus_inaugural[1:2], size = 2, min_count = 2)",
      source=f"{DOCS}, first example (head(cols, 10))",
      data="1789-Washington and 1793-Washington from NLTK's inaugural corpus (the same words as quanteda's "
           "data_corpus_inaugural[1:2]), one unit per address",
      published={f"{p} {k}": v for p, vals in _WASHINGTON.items() for k, v in zip(("count", "lambda", "z"), vals)},
      atol=5e-7)
def _():
    from nltk.corpus import inaugural

    d = stat_collocations([inaugural.raw("1789-Washington.txt"), inaugural.raw("1793-Washington.txt")],
                          min_count=2, remove_stopwords=False, sort_by="z")
    top = d.head(10).set_index("collocation")
    if set(top.index) != set(_WASHINGTON):
        raise AssertionError(f"our top 10 by z differ from quanteda's: {sorted(set(top.index) ^ set(_WASHINGTON))}")
    return {f"{p} {k}": float(top.loc[p, k]) for p in _WASHINGTON for k in ("count", "lambda", "z")}
