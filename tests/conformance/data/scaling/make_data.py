"""Rebuild the scaling conformance matrices in this folder (run by hand, never at test time).

Outputs
-------
lbg_example.csv
    quanteda's ``data_dfm_lbgexample`` (austin's ``lbg``): 6 documents x 37 words,
    built from its published definition (Laver, Benoit & Garry 2003, Fig. 1; the
    definition is restated in ``tests/test_scaling_wordscores.py``).
irishbudget2010_counts.csv
    Long counts ``doc, term, count, punct`` of quanteda.textmodels'
    ``data_corpus_irishbudget2010`` tokenised as ``tokens(x)`` then ``dfm()``
    (lower-cased). Rows with ``punct = 1`` are punctuation tokens; dropping them gives
    ``dfm(tokens(x, remove_punct = TRUE))``, the quanteda tutorial's matrix.
irishbudget2010_docs.csv
    The 14 document names in corpus order.

Needs the ``rdata`` package (``pip install --target /tmp/rdlib rdata`` is enough; it is
not a dependency of the project or its tests) and the quanteda.textmodels repository
(``git show <commit>:data/data_corpus_irishbudget2010.rda``)::

    git -C /work/.mirror/quanteda+quanteda.textmodels/repo show \\
        77a137ade914962aaa2a4ac773f8438eda5951f3:data/data_corpus_irishbudget2010.rda > /tmp/irish.rda
    PYTHONPATH=/tmp/rdlib python tests/conformance/data/scaling/make_data.py /tmp/irish.rda

Tokeniser. quanteda's ``tokens()`` splits at ICU (stringi) word boundaries and then
re-joins hyphenated words (``split_hyphens = FALSE``). ICU is not available here, so
a regular expression stands in for it, written for the characters this corpus contains
(letters, digits, whitespace and ``. , € - % ' ? ; " : [ ] /``): a token is a run of
word characters, joined across ``.`` or ``'`` between word characters (ICU's MidNumLet:
``government's``, ``7.5``), across ``,`` between digits (MidNum: ``25,000``) and across
``-`` between word characters (quanteda's hyphen rule: ``self-confidence``); ``€`` is
a token of its own (a symbol, which ``remove_punct`` keeps); every other non-space
character is a punctuation token. Check: with punctuation the matrix has 5,140 features,
which quanteda.textmodels' own test (tests/testthat/test-textmodel_wordfish.R) requires
(``14 documents; 514\\d features``).
"""

from __future__ import annotations

import collections
import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROFILE = [2, 3, 10, 22, 45, 78, 115, 146, 158, 146, 115, 78, 45, 22, 10, 3, 2]
LBG_WORDS = ([chr(c) for c in range(ord("A"), ord("Z") + 1)]
             + ["Z" + chr(c) for c in range(ord("A"), ord("K") + 1)])
LBG_DOCS = ["R1", "R2", "R3", "R4", "R5", "V1"]

TOKEN = re.compile(r"\w+(?:(?:[.'\u2019](?=\w)|(?<=\d),(?=\d)|-(?=\w))\w+)*|[€$£]|[^\w\s]")
PUNCT = re.compile(r"[^\w\s€$£]")


def tokens(text: str) -> list[tuple[str, int]]:
    """``(lower-cased token, is_punct)`` in text order."""
    return [(t.lower(), int(bool(PUNCT.fullmatch(t)))) for t in TOKEN.findall(text)]


def write_lbg() -> None:
    with open(HERE / "lbg_example.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc"] + LBG_WORDS)
        for doc, start in zip(LBG_DOCS, [0, 5, 10, 15, 20, 7]):
            row = [0] * len(LBG_WORDS)
            row[start:start + len(PROFILE)] = PROFILE
            w.writerow([doc] + row)


def write_irish(rda: str) -> None:
    import rdata  # noqa: PLC0415  (conversion-time only)

    parsed = rdata.parser.parse_file(rda)
    conv = rdata.conversion.SimpleConverter(default_encoding="utf8")
    texts = [str(t) for t in conv.convert(parsed.object.value[0])]
    names = [str(n) for n in conv.convert(parsed.object.value[0].attributes)["names"]]
    assert len(texts) == len(names) == 14, (len(texts), len(names))
    with open(HERE / "irishbudget2010_docs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc", "name"])
        for i, n in enumerate(names):
            w.writerow([i, n])
    with open(HERE / "irishbudget2010_counts.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc", "term", "count", "punct"])
        for i, text in enumerate(texts):
            toks = tokens(text)
            counts = collections.Counter(toks)
            first = {}
            for t in toks:
                first.setdefault(t, len(first))
            for (term, punct), n in sorted(counts.items(), key=lambda kv: first[kv[0]]):
                w.writerow([i, term, n, punct])


if __name__ == "__main__":
    write_lbg()
    if len(sys.argv) > 1:
        write_irish(sys.argv[1])
