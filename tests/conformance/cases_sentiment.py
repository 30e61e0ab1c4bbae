"""Sentiment: VADER scores of :func:`analysis.framing.sentiment.stat_sentiment` against the
scores printed in VADER's own README.

No sentence is copied into the project: the example sentences are read at test time from the
installed NLTK's ``nltk/test/sentiment.doctest`` (NLTK's port of VADER lists the README's
examples), and each is checked against the SHA-256 of the README's sentence before its scores
are compared. Nine README sentences appear there word for word; the others ("uber",
"FRIGGIN", "only kind of", emoji, "Not bad at all") are not in NLTK's list and are left out.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from analysis.framing.sentiment import stat_sentiment

from .registry import case

VADER_README = "cjhutto/vaderSentiment README.rst @ 44fc044cd877310ee8278a0eadf34bcd50d41d06, lines 216-231"

# index in NLTK's doctest list -> (first 16 hex digits of the SHA-256 of the README sentence,
# the README's printed scores)
_README = {
    0: ("2f60885940f29204", {"neg": 0.0, "neu": 0.254, "pos": 0.746, "compound": 0.8316}),
    1: ("aebda0f4fcca3a22", {"neg": 0.0, "neu": 0.248, "pos": 0.752, "compound": 0.8439}),
    2: ("1bb1077eb16d1957", {"neg": 0.0, "neu": 0.299, "pos": 0.701, "compound": 0.8545}),
    3: ("993fd96d0f87794d", {"neg": 0.0, "neu": 0.246, "pos": 0.754, "compound": 0.9227}),
    4: ("9b6928f30f29dbbb", {"neg": 0.0, "neu": 0.233, "pos": 0.767, "compound": 0.9342}),
    6: ("ee2f3c23da82da85", {"neg": 0.0, "neu": 0.508, "pos": 0.492, "compound": 0.4404}),
    8: ("ac4d1566db48868a", {"neg": 0.327, "neu": 0.579, "pos": 0.094, "compound": -0.7042}),
    10: ("1312e98be30b920d", {"neg": 0.0, "neu": 0.637, "pos": 0.363, "compound": 0.431}),
    15: ("4fb8a4c4f3c0194b", {"neg": 0.779, "neu": 0.221, "pos": 0.0, "compound": -0.5461}),
}


def _nltk_sentences() -> list[str]:
    import nltk

    text = (Path(nltk.__file__).parent / "test" / "sentiment.doctest").read_text(encoding="utf-8")
    start = text.index(">>> sentences = [")
    block = text[start:text.index("... ]", start)]
    lit = re.compile(r'"((?:[^"\\]|\\.)*)"')
    return [m.group(1) for m in map(lit.search, block.splitlines()) if m]


@case(id="sentiment-vader-readme", family="sentiment", method="VADER polarity scores (neg, neu, pos, compound)",
      reference="vaderSentiment SentimentIntensityAnalyzer.polarity_scores", source=VADER_README,
      data="the nine README example sentences that NLTK's sentiment.doctest lists word for word "
           "(read from the installed NLTK, checked by SHA-256 against the README), one unit each",
      published={f"sentence {i} {k}": v for i, (_, d) in _README.items() for k, v in d.items()},
      atol=5e-5)
def _():
    sents = _nltk_sentences()
    for i, (digest, _) in _README.items():
        got = hashlib.sha256(sents[i].encode("utf-8")).hexdigest()[:16]
        if got != digest:
            raise AssertionError(f"NLTK's example sentence {i} is not the README's (sha256 {got} != {digest})")
    units = pd.DataFrame({"unit_id": [f"s{i}" for i in _README], "doc_id": "vader-readme",
                          "text": [sents[i] for i in _README]})
    out = stat_sentiment(units).set_index("unit_id")
    return {f"sentence {i} {k}": float(out.loc[f"s{i}", k]) for i, (_, d) in _README.items() for k in d}
