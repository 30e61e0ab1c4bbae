"""The one tokens layer: the word pattern, a tokenizer with character spans, and terms.

Every module that splits text into words calls this one (no other module
compiles a word pattern; ``tests/test_tokens.py`` scans the sources to keep it so):

* :func:`tokens` / :func:`tokenize_spans`: running words of a text, the second
  with their ``(start, end)`` character offsets (``text[start:end] == token``);
* :func:`split_words`: ``[sep, word, sep, ..., word, sep]`` (``"".join`` gives the
  text back), for concordance lines cut from the original text;
* :func:`terms`: the term pipeline of document-term matrices (case folding,
  minimum length, stopwords, Snowball stemming, as set by
  :class:`analysis.text.TextSettings`);
* :func:`count_words`: the ``n_tokens`` of a unit.

A word is a run of letters with internal hyphens or apostrophes ("well-being",
"Council's"): :data:`WORD_PATTERN`. With ``numbers=True`` digits count as
letters and ``.`` and ``,`` may also join ("1,000", "2.5"):
:data:`WORD_OR_NUMBER_PATTERN`. Splitting with a regular expression is what
NLTK's ``RegexpTokenizer`` does (``tokenize`` is ``re.findall`` with the pattern),
and what quanteda's ``tokens(what = "word")`` followed by ``tokens_remove`` does
in R.

References
----------
Bird, S., Klein, E., & Loper, E. (2009). *Natural Language Processing with
Python*, ch. 3.7 (regular expressions for tokenizing text). O'Reilly.

Benoit, K., Watanabe, K., Wang, H., Nulty, P., Obeng, A., Müller, S., &
Matsuo, A. (2018). quanteda: An R package for the quantitative analysis of
textual data. *Journal of Open Source Software*, 3(30), 774.

Porter, M. F. (2001). Snowball: a language for stemming algorithms.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

__all__ = [
    "APOSTROPHES",
    "LETTER",
    "WORD_OR_NUMBER_PATTERN",
    "WORD_PATTERN",
    "count_words",
    "fold_apostrophes",
    "lettered_word_pattern",
    "split_words",
    "stemmer",
    "stopwords",
    "terms",
    "tokenize_spans",
    "tokens",
    "word_pattern",
    "word_regex",
]

#: One letter: a Unicode word character that is neither a digit nor ``_``.
LETTER = r"[^\W\d_]"
_ALNUM = r"[^\W_]"
#: one letter or digit (the unit of glob patterns such as ``responsib*``)
ALNUM = _ALNUM


def word_pattern(numbers: bool = False, joiners: str | None = None) -> str:
    """The regular expression of a word.

    Parameters
    ----------
    numbers : bool
        Count digits as letters (``"2005"``, ``"A/63/677"`` gives ``A``, ``63``, ``677``).
    joiners : str, optional
        Characters allowed *between* two letter runs of one word: by default
        ``'-`` for words and ``'-.,`` with numbers ("1,000.5"); ``"-"`` gives
        hyphenated words only, ``""`` bare letter runs.
    """
    core = _ALNUM if numbers else LETTER
    if joiners is None:
        joiners = "'-.," if numbers else "'-"
    if not joiners:
        return f"{core}+"
    cls = "".join("\\" + c if c in "\\]^-" else c for c in dict.fromkeys(joiners))
    return rf"{core}+(?:[{cls}]{core}+)*"


def lettered_word_pattern() -> str:
    """Letters and digits joined by ``'`` or ``-`` that hold at least one letter.

    ``R2P``, ``G-77``, ``1990s`` and ``COVID-19`` are one word each; ``2005`` is none.
    The words :func:`analysis.patterns.pattern_tokens` reads without numbers (the
    dictionary engine). It starts with a letter-or-digit class, so the regex engine
    skips fast to the next word.
    """
    return rf"{_ALNUM}(?:(?<!\d)|\d*(?:['\-]\d+)*['\-]?(?={LETTER})){_ALNUM}*(?:['\-]{_ALNUM}+)*"


#: Words: letters with internal hyphens or apostrophes ("well-being", "Council's").
WORD_PATTERN = word_pattern()
#: Words and numbers: letters or digits joined by an apostrophe, hyphen, full stop or comma
#: ("1,000", "2.5", "G-77").
WORD_OR_NUMBER_PATTERN = word_pattern(numbers=True)


@lru_cache(maxsize=16)
def word_regex(numbers: bool = False, joiners: str | None = None) -> re.Pattern:
    """:func:`word_pattern` compiled (cached)."""
    return re.compile(word_pattern(numbers, joiners))


@lru_cache(maxsize=4)
def _split_regex(numbers: bool) -> re.Pattern:
    return re.compile(f"({word_pattern(numbers)})")


#: Curly apostrophes, the modifier apostrophe and Unicode hyphens mapped to ``'`` and
#: ``-`` (one character to one, so character offsets are unchanged).
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'",
                             "\u2010": "-", "\u2011": "-", "\u2012": "-"})


def fold_apostrophes(text: str) -> str:
    """``text`` with :data:`APOSTROPHES` applied (same length, same offsets)."""
    return text.translate(APOSTROPHES)


def tokens(text: str, numbers: bool = False, lowercase: bool = False,
           apostrophes: bool = False, joiners: str | None = None) -> list[str]:
    """The running words of ``text``, in order (punctuation dropped, stopwords kept).

    Parameters
    ----------
    text : str
    numbers : bool
        Keep numbers as words (:data:`WORD_OR_NUMBER_PATTERN`).
    lowercase : bool
        Fold case *before* splitting (``text.lower()``), as the style measures and
        collocations count words.
    apostrophes : bool
        Map curly apostrophes and Unicode hyphens first (:func:`fold_apostrophes`),
        as the dictionary engine matches words.
    joiners : str, optional
        See :func:`word_pattern`.
    """
    if apostrophes:
        text = text.translate(APOSTROPHES)
    if lowercase:
        text = text.lower()
    return word_regex(numbers, joiners).findall(text)


def tokenize_spans(text: str, numbers: bool = False,
                   apostrophes: bool = False) -> tuple[list[str], list[tuple[int, int]]]:
    """Words of ``text`` and their ``(start, end)`` character offsets.

    The tokens are those of :func:`tokens` with the same options; offsets index
    the text as given, so ``text[start:end] == token`` (with ``apostrophes`` the
    token carries the folded apostrophe, the offsets stay those of the original).
    """
    s = text.translate(APOSTROPHES) if apostrophes else text
    toks, spans = [], []
    for m in word_regex(numbers).finditer(s):
        toks.append(m.group())
        spans.append(m.span())
    return toks, spans


def split_words(text: str, numbers: bool = True) -> list[str]:
    """``[sep, word, sep, word, ..., sep]``: words at odd indices, ``"".join`` is ``text``."""
    return _split_regex(numbers).split(text)


def count_words(text: str) -> int:
    """Number of running words (letters with internal hyphens/apostrophes), stopwords included."""
    return len(word_regex().findall(text))


@lru_cache(maxsize=8)
def stopwords(language: str = "english") -> frozenset[str]:
    """NLTK's stopword list; scikit-learn's English list (with a warning) when absent."""
    try:
        from nltk.corpus import stopwords as sw

        return frozenset(w.lower() for w in sw.words(language))
    except LookupError:
        if language != "english":
            raise LookupError(
                f"NLTK stopwords for {language!r} are not installed. Run "
                "nltk.download('stopwords') or set NLTK_DATA to a folder that has them."
            ) from None
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        warnings.warn(
            "NLTK stopwords are not installed; using scikit-learn's English list. "
            "Run nltk.download('stopwords') (or set NLTK_DATA) for NLTK's list.",
            stacklevel=2,
        )
        return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=4)
def stemmer(language: str):
    """NLTK's Snowball stemmer for ``language`` (Porter 2001), cached."""
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer(language)


def terms(text: str, settings) -> list[str]:
    """Analysis terms of ``text``: words filtered as ``settings`` say (DTM features).

    Words (:func:`tokens`, numbers kept with ``settings.keep_numbers``), then case
    folding (``lowercase``), the length filter (``min_token_len``), stopwords
    (NLTK's list for ``language`` plus ``extra_stopwords``; a word whose part
    before an apostrophe is a stopword, "we'll", goes too) and optional Snowball
    stemming (``stem``).

    Parameters
    ----------
    text : str
    settings : analysis.text.TextSettings
        Any object with the attributes above.
    """
    s = settings
    toks = word_regex(s.keep_numbers).findall(text)
    if s.lowercase:
        toks = [t.lower() for t in toks]
    if s.min_token_len > 1:
        toks = [t for t in toks if len(t) >= s.min_token_len]
    if s.remove_stopwords:
        stop = stopwords(s.language) | frozenset(w.lower() for w in s.extra_stopwords)
        toks = [t for t in toks if t.lower() not in stop and t.split("'")[0].lower() not in stop]
    if s.stem:
        st = stemmer(s.language)
        toks = [st.stem(t) for t in toks]
    return toks
