"""Sentiment of every paragraph (VADER) and its yearly mean with bootstrap intervals.

References
----------
Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model for
sentiment analysis of social media text. *Proceedings of ICWSM-14*.
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.
"""

from __future__ import annotations

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

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model
    for sentiment analysis of social media text. *Proceedings of the Eighth
    International AAAI Conference on Weblogs and Social Media (ICWSM-14)*.
    """
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    try:
        return SentimentIntensityAnalyzer()
    except LookupError:
        raise LookupError(
            "VADER's lexicon (sentiment/vader_lexicon.zip) is not installed. Run "
            "python -c \"import nltk; nltk.download('vader_lexicon')\" or set NLTK_DATA to a "
            "folder that contains sentiment/vader_lexicon.zip.") from None


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

