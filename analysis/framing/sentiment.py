"""Sentiment of every paragraph (VADER) and its yearly mean with bootstrap intervals.

References
----------
Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model for
sentiment analysis of social media text. *Proceedings of ICWSM-14*.
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.stats.bootstrap import group_rng, one_blas_thread, percentile_interval, resample_sums
from analysis.stats.parallel import chunks, pmap

__all__ = ["SENTIMENT_COLUMNS", "SENTIMENT_YEAR_COLUMNS", "stat_sentiment", "stat_sentiment_years",
           "vader_analyzer"]

SENTIMENT_COLUMNS = ["unit_id", "doc_id", "neg", "neu", "pos", "compound"]
SENTIMENT_YEAR_COLUMNS = ["year", "compound", "ci_low", "ci_high", "share_positive",
                          "share_negative", "n_units", "n_docs"]


@lru_cache(maxsize=1)
def vader_analyzer():
    """NLTK's VADER analyzer, with a clear error when its lexicon is not installed.

    The analyzer returned scores a text exactly as NLTK's ``SentimentIntensityAnalyzer``
    does, but finds the words that carry punctuation (``"peace,"`` -> ``"peace"``) without
    building NLTK's table of every word joined to every punctuation mark (about half of
    NLTK's time on paragraphs of a speech); see :func:`_fast_analyzer`. Where the installed
    NLTK's code is not the one this relies on, NLTK's own analyzer is returned.

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model
    for sentiment analysis of social media text. *Proceedings of the Eighth
    International AAAI Conference on Weblogs and Social Media (ICWSM-14)*.
    """
    from nltk.sentiment import vader

    try:
        return _fast_analyzer(vader)
    except LookupError:
        raise LookupError(
            "VADER's lexicon (sentiment/vader_lexicon.zip) is not installed. Run "
            "python -c \"import nltk; nltk.download('vader_lexicon')\" or set NLTK_DATA to a "
            "folder that contains sentiment/vader_lexicon.zip.") from None


class _PunctuatedWords:
    """NLTK's ``SentiText._words_plus_punc`` table, looked up instead of built.

    NLTK maps every ``punctuation + word`` and ``word + punctuation`` (a mark of
    ``PUNC_LIST``, a word of two or more characters of the text with its punctuation
    removed) to the word: about 34 joined strings per word of the text. A word of that
    table has no punctuation character, so a token is one of its keys exactly when
    stripping the marks' characters from its end (or start) leaves such a word and a
    whole mark: one lookup per token. (Both cannot hold: a key that starts with a mark
    cannot be a word followed by one.)
    """

    __slots__ = ("chars", "marks", "words")

    def __init__(self, words: set[str], marks: frozenset[str], chars: str):
        self.words, self.marks, self.chars = words, marks, chars

    def get(self, token: str) -> str | None:
        word = token.rstrip(self.chars)
        if word != token and token[len(word):] in self.marks and word in self.words:
            return word
        word = token.lstrip(self.chars)
        if word != token and token[:len(token) - len(word)] in self.marks and word in self.words:
            return word
        return None

    def __contains__(self, token: str) -> bool:
        return self.get(token) is not None

    def __getitem__(self, token: str) -> str:
        word = self.get(token)
        if word is None:
            raise KeyError(token)
        return word


def _fast_analyzer(vader):
    """NLTK's analyzer whose ``polarity_scores`` builds a ``SentiText`` with :class:`_PunctuatedWords`.

    Nothing of NLTK is patched: ``polarity_scores`` is NLTK's own function (its code object)
    bound to a copy of its module's names in which ``SentiText`` is a subclass that only
    replaces ``_words_plus_punc``. Falls back to NLTK's analyzer when the installed NLTK does
    not have those names, or when a mark holds a character that NLTK's punctuation pattern
    keeps (the lookup's premise). ``tests/test_framing.py`` checks the scores equal NLTK's.
    """
    base = vader.SentimentIntensityAnalyzer
    sia = base()
    func = getattr(base.polarity_scores, "__code__", None)
    senti = getattr(vader, "SentiText", None)
    constants = getattr(sia, "constants", None)
    marks = frozenset(getattr(constants, "PUNC_LIST", ()) or ())
    chars = "".join(sorted(set("".join(marks))))
    pattern = getattr(constants, "REGEX_REMOVE_PUNCTUATION", None)
    if (func is None or senti is None or "SentiText" not in func.co_names or not marks
            or not hasattr(senti, "_words_plus_punc") or pattern is None or pattern.sub("", chars)):
        return sia

    class _SentiText(senti):
        def _words_plus_punc(self):
            text = self.REGEX_REMOVE_PUNCTUATION.sub("", self.text)
            return _PunctuatedWords({w for w in text.split() if len(w) > 1}, marks, chars)

    names = dict(base.polarity_scores.__globals__, SentiText=_SentiText)
    scores = types.FunctionType(func, names, "polarity_scores", base.polarity_scores.__defaults__)
    analyzer = type("VaderAnalyzer", (base,), {"polarity_scores": scores,
                                                "__module__": __name__})
    out = analyzer.__new__(analyzer)
    out.__dict__.update(sia.__dict__)
    return out


def stat_sentiment(units: pd.DataFrame, docvars: Iterable[str] = ("date", "year", "speaker")
                   ) -> pd.DataFrame:
    """VADER sentiment of every unit (paragraph).

    Scores are NLTK's ``SentimentIntensityAnalyzer.polarity_scores`` of the whole
    unit text: ``neg``, ``neu``, ``pos`` proportions and the normalised
    ``compound`` score in [-1, 1].

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER. *ICWSM-14*.
    """
    vader_analyzer()  # a missing lexicon is reported here, before any worker starts
    texts = units["text"].tolist()
    # fixed chunks of units on the run's workers (analysis.stats.parallel): the same scores for any number
    parts = pmap(_vader_rows, [(texts[a:b],) for a, b in chunks(len(texts), SENTIMENT_CHUNK)])
    scores = np.concatenate(parts) if parts else np.zeros((0, 4))
    out = pd.DataFrame({
        "unit_id": units["unit_id"].astype(str).to_numpy(),
        "doc_id": units["doc_id"].astype(str).to_numpy(),
        "neg": scores[:, 0], "neu": scores[:, 1], "pos": scores[:, 2], "compound": scores[:, 3],
    }, columns=SENTIMENT_COLUMNS)
    for c in ("unit_id", "doc_id"):
        out[c] = out[c].astype("str")
    for c in docvars:
        if c in units.columns:
            out[c] = units[c].to_numpy()
    return out


#: units per task of the sentiment scoring
SENTIMENT_CHUNK = 4096


def _vader_rows(texts) -> np.ndarray:
    """``neg, neu, pos, compound`` of each text (a task of :func:`stat_sentiment`)."""
    sia = vader_analyzer()
    out = np.empty((len(texts), 4), dtype=np.float64)
    for i, t in enumerate(texts):
        s = sia.polarity_scores(str(t))
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out


@one_blas_thread
def stat_sentiment_years(sent: pd.DataFrame, n_boot: int = 1000, ci: float = 0.95,
                         seed: int = 0, threshold: float = 0.05) -> pd.DataFrame:
    """Mean VADER compound score per year, bootstrap interval over units.

    ``share_positive``/``share_negative`` are the shares of units with compound
    at least ``threshold`` / at most ``-threshold`` (Hutto & Gilbert's 0.05).

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER. *ICWSM-14*.
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    """
    if "year" not in sent.columns or sent["year"].notna().sum() == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in SENTIMENT_YEAR_COLUMNS}) \
            .astype({"year": "int64", "n_units": "int64", "n_docs": "int64"})
    rows = []
    s = sent[sent["year"].notna()]
    for y, g in s.groupby("year", sort=True):
        x = g["compound"].to_numpy(dtype=float)
        lo = hi = np.nan
        if n_boot > 0:
            rng = group_rng(seed, y)
            # VADER's compound scores have four decimals: resampled sums of the whole numbers
            # x * 10^4 are exact, batched so memory does not grow with n_boot x units
            xi = np.rint(x * 1e4)
            exact = np.array_equal(xi / 1e4, x)
            sums = resample_sums(xi if exact else x, n_boot, rng) / (1e4 if exact else 1.0)
            lo, hi = percentile_interval((sums / len(x))[:, None], ci)
            lo, hi = float(lo[0]), float(hi[0])
        rows.append((int(y), float(x.mean()), lo, hi, float((x >= threshold).mean()),
                     float((x <= -threshold).mean()), len(x), g["doc_id"].nunique()))
    return pd.DataFrame(rows, columns=SENTIMENT_YEAR_COLUMNS)

