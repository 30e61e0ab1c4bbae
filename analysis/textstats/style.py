"""Style over time: lexical diversity, sentence length, readability, first person.

Per document: running words, types, TTR, MATTR (Covington & McFall 2010), MTLD
(McCarthy & Jarvis 2010), mean sentence length, Flesch reading ease and
Flesch-Kincaid grade (with the rule-based syllable counter :func:`count_syllables`),
and the shares of first person singular and plural pronouns among running words.

One input type: units (:func:`analysis.units.make_units`); the units of a document
are rejoined as its paragraphs, and a Corpus is reshaped into paragraph units
first. Words come from the one tokens layer (:func:`analysis.tokens.tokens`).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.stats.parallel import chunks, pmap
from analysis.text import sentence_tokenizer, sentences
from analysis.tokens import tokens, word_regex
from analysis.units import as_units

__all__ = [
    "FIRST_PERSON_PLURAL",
    "FIRST_PERSON_SINGULAR",
    "STYLE_COLUMNS",
    "count_syllables",
    "flesch_kincaid_grade",
    "flesch_reading_ease",
    "mattr",
    "mtld",
    "stat_style",
    "style_measures",
    "style_words",
    "ttr",
]

FIRST_PERSON_SINGULAR = frozenset({"i", "me", "my", "mine", "myself"})
FIRST_PERSON_PLURAL = frozenset({"we", "us", "our", "ours", "ourselves"})

STYLE_COLUMNS = [
    "tokens", "types", "ttr", "mattr", "mtld", "sentences", "mean_sentence_length",
    "syllables_per_word", "flesch_reading_ease", "fk_grade",
    "first_person_singular", "first_person_plural",
]

def style_words(text: str, written: list[str] | None = None) -> list[str]:
    """Running words for style measures: lowercased letter words, stopwords kept.

    Contractions are split at the apostrophe so that "I'm" and "we've" count as
    first-person pronouns ("i" + "m"); the clitic piece is dropped. ``written``:
    the text's words as written (``tokens(text, lowercase=True)``) when already known.
    """
    words = tokens(text, lowercase=True) if written is None else written
    if not any("'" in w for w in words):
        return words
    out = []
    for w in words:
        if "'" in w:
            head, _, tail = w.partition("'")
            out.append(head)
            if tail and tail not in _CLITICS:
                out.append(tail)
        else:
            out.append(w)
    return out


_CLITICS = frozenset({"s", "m", "re", "ve", "ll", "d", "t"})


# ----------------------------------------------------------------- syllables
_VOWELS = re.compile(r"[aeiouy]+")
_ADD = [  # hiatus patterns that the vowel-group count under-counts
    re.compile(r"ia$"),                      # media, Syria
    re.compile(r"io(?!us|n)"),               # violence, scenario, radio
    re.compile(r"iet"),                      # society, variety
    re.compile(r"^coo[pr]"),                 # cooperation, coordinate
    re.compile(r"ua"),                       # actual, situation
    re.compile(r"uo"),                       # duo, fluorine
    re.compile(r"[aeiou]ing$"),              # being, going
    re.compile(r"ism$"),                     # terrorism
    # a prefix before a vowel of the stem: reopen, reunite, reiterate, preoccupied, deoxidise ...
    re.compile(r"^(?:re|pre|de)[iou](?!gn)"),
    # ... and before "a" or "e" only in stems where the letters are not one vowel ("read", "real",
    # "reach", "reason", "deep", "deal", "death", "dear", "reef" have one): reaffirm, react,
    # reassure, reality, realign, reelect, reestablish, preeminent, preamble, deactivate, deescalate
    re.compile(r"^re(?:a(?:ff|ct|pp|ss|lig|lloc|lis|lit|dj|rm|wak|ttach|dmit)|"
               r"e(?:lect|nter|stab|xam|merg|valu|ngag|nforc))"),
    re.compile(r"^pre(?:e[mx]|am)"),
    re.compile(r"^de(?:a(?:ctiv|ccel)|e(?:scal|mphas))"),
]


@lru_cache(maxsize=65536)
def count_syllables(word: str) -> int:
    """Estimate the syllables of an English word with vowel-group rules.

    Counts groups of vowels (a, e, i, o, u, y), subtracts silent endings
    ("-e" except "-le", "-es" except after sibilants, "-ed" except after t/d) and
    adds common hiatus patterns (final "-ia", "io", "ua", "coop-", "-ing" after a
    vowel, "-ism", "re-"/"pre-"/"de-" before a vowel of the stem: "reopen", "reaffirm",
    but not "read", "real", "reason", "deep", "deal", where the two letters are one vowel).
    Every word has at least one syllable. A heuristic, not a pronouncing
    dictionary: it errs on some words (for example "sovereignty": 4, not 3). The
    tests check it on a list of dictionary words and check that document-level
    readability agrees with ``textstat`` (which falls back to Pyphen hyphenation
    when the CMU dictionary is not installed) within a documented tolerance.

    References
    ----------
    Flesch, R. (1948). A new readability yardstick. *Journal of Applied Psychology*,
    32(3), 221-233 (syllables as the unit of word length).
    """
    w = word.lower().strip("'-")
    w = re.sub(r"[^a-z]", "", w)
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    n = len(_VOWELS.findall(w))
    if re.search(r"[^aeiouy]ed$", w) and not re.search(r"[td]ed$", w) or re.search(r"[^aeiouyl]es$", w) and not re.search(r"(?:[cgsxz]|ch|sh)es$", w) or re.search(r"[^aeiouy]e$", w) and not re.search(r"[^aeiouy]le$", w):
        n -= 1
    for pat in _ADD:
        n += len(pat.findall(w))
    return max(1, n)


# -------------------------------------------------------- lexical diversity
def ttr(words) -> float:
    """Type-token ratio: distinct words / running words (NaN for an empty text)."""
    return len(set(words)) / len(words) if len(words) else float("nan")


def mattr(words, window: int = 100) -> float:
    """Moving-average type-token ratio (MATTR).

    The mean TTR of every window of ``window`` consecutive words (Covington &
    McFall 2010). NaN when the text is shorter than the window.

    References
    ----------
    Covington, M. A., & McFall, J. D. (2010). Cutting the Gordian knot: The
    moving-average type-token ratio (MATTR). *Journal of Quantitative
    Linguistics*, 17(2), 94-100.
    """
    n = len(words)
    window = int(window)
    if window < 1:
        raise ValueError(f"MATTR window must be a positive integer, got {window}")
    if n < window:
        return float("nan")
    # sliding distinct-count with a running counter: O(n)
    counts: dict[str, int] = {}
    for w in words[:window]:
        counts[w] = counts.get(w, 0) + 1
    distinct = len(counts)
    total = distinct
    for i in range(window, n):
        out, inc = words[i - window], words[i]
        counts[out] -= 1
        if counts[out] == 0:
            del counts[out]
            distinct -= 1
        if inc in counts:
            counts[inc] += 1
        else:
            counts[inc] = 1
            distinct += 1
        total += distinct
    return total / ((n - window + 1) * window)


def _mtld_pass(words, threshold: float) -> float:
    factors = 0.0
    seen: set[str] = set()
    count = 0
    current = 1.0
    for w in words:
        count += 1
        seen.add(w)
        current = len(seen) / count
        if current <= threshold:
            factors += 1.0
            seen = set()
            count = 0
            current = 1.0
    if count > 0:  # partial factor for the remainder
        factors += (1.0 - current) / (1.0 - threshold)
    if factors == 0:
        return float("nan")
    return len(words) / factors


def mtld(words, threshold: float = 0.72) -> float:
    """Measure of Textual Lexical Diversity (MTLD), bidirectional.

    The mean length of sequential word runs whose TTR stays above ``threshold``;
    the remainder counts as a partial factor; the forward and the backward pass
    are averaged (McCarthy & Jarvis 2010). NaN when the TTR never falls (a text
    of distinct words has no finite MTLD).

    References
    ----------
    McCarthy, P. M., & Jarvis, S. (2010). MTLD, vocd-D, and HD-D: A validation
    study of sophisticated approaches to lexical diversity assessment.
    *Behavior Research Methods*, 42(2), 381-392.
    """
    words = list(words)
    if not words:
        return float("nan")
    if not 0 < threshold < 1:
        raise ValueError(f"MTLD threshold must be between 0 and 1, got {threshold}")
    f = _mtld_pass(words, threshold)
    b = _mtld_pass(words[::-1], threshold)
    return float(np.mean([f, b]))


# ---------------------------------------------------------------- readability
def flesch_reading_ease(words_per_sentence: float, syllables_per_word: float) -> float:
    """Flesch reading ease: 206.835 - 1.015 * words/sentence - 84.6 * syllables/word.

    References
    ----------
    Flesch, R. (1948). A new readability yardstick. *Journal of Applied
    Psychology*, 32(3), 221-233.
    """
    return 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word


def flesch_kincaid_grade(words_per_sentence: float, syllables_per_word: float) -> float:
    """Flesch-Kincaid grade level: 0.39 * words/sentence + 11.8 * syllables/word - 15.59.

    References
    ----------
    Kincaid, J. P., Fishburne, R. P., Rogers, R. L., & Chissom, B. S. (1975).
    Derivation of new readability formulas for Navy enlisted personnel.
    Research Branch Report 8-75, Naval Technical Training Command.
    """
    return 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59


def style_measures(text: str, tokenizer=None, mattr_window: int = 100,
                   mtld_threshold: float = 0.72) -> dict:
    """All style measures of one text as a dict keyed by :data:`STYLE_COLUMNS`.

    Sentences come from :func:`analysis.text.sentences` (Punkt) on the paragraphs of
    the unit rule: a hard-wrapped text is unwrapped first, so a line break inside a
    sentence does not end it (quanteda's sentence count on the Dale & Chall 1948
    passages of its tests, ``tests/conformance/cases_readability.py``); sentences
    without any word (headings of digits, stray punctuation) are not counted. Words
    are words of letters (:func:`analysis.tokens.tokens`): numbers are not counted,
    where quanteda counts them.

    References
    ----------
    McCarthy, P. M., & Jarvis, S. (2010). MTLD, vocd-D, and HD-D. *Behavior
    Research Methods*, 42(2), 381-392.

    Flesch, R. (1948). A new readability yardstick. *Journal of Applied
    Psychology*, 32(3), 221-233.
    """
    as_written = tokens(text, lowercase=True)
    words = style_words(text, as_written)
    n = len(words)
    has_word = word_regex().search
    sents = [s for s in sentences(text, tokenizer) if has_word(s)] if text.strip() else []
    n_sent = len(sents)
    # readability counts words as written ("Council's" is one word)
    written = Counter(as_written)
    n_read = len(as_written)
    syl = sum(count_syllables(w) * c for w, c in written.items())
    running = Counter(words)
    wps = n_read / n_sent if n_sent else float("nan")
    spw = syl / n_read if n_read else float("nan")
    return {
        "tokens": n,
        "types": len(running),
        "ttr": ttr(words),
        "mattr": mattr(words, mattr_window),
        "mtld": mtld(words, mtld_threshold) if n else float("nan"),
        "sentences": n_sent,
        "mean_sentence_length": wps,
        "syllables_per_word": spw,
        "flesch_reading_ease": flesch_reading_ease(wps, spw),
        "fk_grade": flesch_kincaid_grade(wps, spw),
        "first_person_singular": (sum(running[w] for w in FIRST_PERSON_SINGULAR) / n) if n else float("nan"),
        "first_person_plural": (sum(running[w] for w in FIRST_PERSON_PLURAL) / n) if n else float("nan"),
    }


def punkt_training_sample(texts, max_chars: int = 300_000) -> list[str]:
    """Evenly spaced documents totalling about ``max_chars`` characters (all if fewer).

    Punkt learns abbreviations and sentence starters from a few hundred thousand
    words as well as from millions; training time grows linearly with the text.
    """
    texts = list(texts)
    total = sum(len(t) for t in texts)
    if total <= max_chars or not texts:
        return texts
    step = int(np.ceil(total / max_chars))
    return texts[::step]


#: documents per task of the style measures
STYLE_CHUNK = 128


def _style_chunk(texts, tok, mattr_window, mtld_threshold):
    return [style_measures(t, tok, mattr_window, mtld_threshold) for t in texts]


def _n_workers(n_jobs: int | None, n_docs: int) -> int:
    import os

    if n_jobs is None or n_jobs == 0:
        return 1
    cpus = os.cpu_count() or 1
    n = cpus if n_jobs < 0 else min(int(n_jobs), cpus)
    # processes only pay off for many documents
    return max(1, min(n, n_docs // 40))


def _document_texts(units: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per document (first appearance order) and its text: the unit texts in
    ``position`` order joined as paragraphs (a blank line between units)."""
    first = pd.factorize(units["doc_id"])[0]
    u = units.iloc[np.lexsort((units["position"].to_numpy(), first))]
    texts = u["text"].fillna("").astype(str).groupby(u["doc_id"], sort=False).agg("\n\n".join)
    docs = u.drop_duplicates("doc_id").reset_index(drop=True)
    return docs, texts.loc[docs["doc_id"]].tolist()


def stat_style(units, docvars=("date", "year", "speaker"), mattr_window: int = 100,
               mtld_threshold: float = 0.72, punkt_max_chars: int = 300_000,
               n_jobs: int | None = 1) -> pd.DataFrame:
    """Style measures for every document of a units frame, docvars attached.

    ``units`` is a units frame (:func:`analysis.units.make_units`; paragraph units
    keep the paragraph breaks that sentence splitting uses) or a Corpus, reshaped
    into paragraph units of its available documents. Docvars come from the unit
    columns. One Punkt sentence model is used for the whole corpus: NLTK's pretrained
    English model if installed, else Punkt trained on the corpus texts (on an
    evenly spaced sample of about ``punkt_max_chars`` characters for large corpora).

    Returns
    -------
    DataFrame
        ``doc_id``, the requested docvars, then :data:`STYLE_COLUMNS`. The two
        first-person columns are shares of running words (0-1).

    References
    ----------
    McCarthy, P. M., & Jarvis, S. (2010). MTLD, vocd-D, and HD-D: A validation
    study of sophisticated approaches to lexical diversity assessment.
    *Behavior Research Methods*, 42(2), 381-392.

    Covington, M. A., & McFall, J. D. (2010). Cutting the Gordian knot: The
    moving-average type-token ratio (MATTR). *Journal of Quantitative
    Linguistics*, 17(2), 94-100.

    Flesch, R. (1948); Kincaid, J. P. et al. (1975), see :func:`flesch_reading_ease`.

    Notes
    -----
    ``n_jobs`` worker processes (-1: one per CPU; 1 or None: none) share the
    documents for large corpora (40 or more documents per worker); the result
    does not depend on it.
    """
    units = as_units(units, kind="paragraph", docvars=docvars, what="stat_style: units")
    cols = ["doc_id", *[c for c in docvars if c in units.columns]]
    if len(units) == 0:
        return pd.DataFrame(columns=cols + STYLE_COLUMNS)
    dv, texts = _document_texts(units)
    tok = sentence_tokenizer(punkt_training_sample(texts, punkt_max_chars))
    # fixed blocks of documents through the one execution layer (analysis.stats.parallel): the run's
    # workers (--workers), or n_jobs when it asks for more than one
    workers = _n_workers(n_jobs, len(texts)) if n_jobs not in (None, 0, 1) else None
    parts = pmap(_style_chunk, [(texts[a:b], tok, mattr_window, mtld_threshold)
                                for a, b in chunks(len(texts), STYLE_CHUNK)], workers=workers)
    rows = [r for part in parts for r in part]
    out = pd.concat([dv[cols].reset_index(drop=True), pd.DataFrame(rows, columns=STYLE_COLUMNS)], axis=1)
    return out
