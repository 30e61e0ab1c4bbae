"""Keywords in context, lexical dispersion and collocations.

* :func:`stat_kwic`: a concordance for terms, globs (``protect*``) and phrases
  (``"responsibility to protect"``, each word may be a glob), as quanteda's ``kwic``.
* :func:`stat_dispersion`: the word position of every match, for a lexical
  dispersion ("x-ray") plot.
* :func:`stat_collocations`: adjacent word pairs scored by pointwise mutual
  information and the log-likelihood ratio G2, via NLTK's collocation finder.

One input type: units (:func:`analysis.units.make_units`; a Corpus is reshaped
into units first, whole documents for the concordance, paragraphs for
collocations). Words come from the one tokens layer (:mod:`analysis.tokens`):
runs of letters or digits with internal hyphens/apostrophes
(``WORD_OR_NUMBER_PATTERN``) for the concordance, letter words
(``WORD_PATTERN``, lowercased) for collocations. Positions count words from 0
within a document (across its units, in ``position`` order); phrases and
context never cross a unit boundary; the context strings are cut from the unit
text, so punctuation is kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.errors import UsageError
from analysis.patterns import Pattern, fold, is_break
from analysis.patterns import compile_pattern as _compile
from analysis.tokens import split_words, stopwords, tokens
from analysis.units import as_units

__all__ = [
    "COLLOCATION_COLUMNS",
    "DISPERSION_COLUMNS",
    "KWIC_COLUMNS",
    "compile_pattern",
    "find_matches",
    "stat_collocations",
    "stat_dispersion",
    "stat_kwic",
    "stat_kwic_dispersion",
]

KWIC_COLUMNS = ["doc_id", "pattern", "position", "pre", "keyword", "post"]
DISPERSION_COLUMNS = ["doc_id", "pattern", "term", "position", "n_tokens", "relative_position"]
COLLOCATION_COLUMNS = ["collocation", "word1", "word2", "count", "count_word1", "count_word2",
                       "n_words", "pmi", "g2", "lambda", "z"]

_ws = re.compile(r"\s+")


def compile_pattern(pattern: str, valuetype: str = "glob", case_insensitive: bool = True) -> Pattern:
    """Compile a KWIC pattern: :func:`analysis.patterns.compile_pattern` (one word or a phrase).

    ``"protect*"`` matches one word by glob; ``"responsibility to protect"`` matches
    three consecutive words; with ``valuetype="regex"`` each space-separated part
    is a regular expression that matches a word when it occurs anywhere in it, as in
    quanteda (``"secur"`` matches "security" and "insecure"; ``"^protect(s|ed)?$"``
    only whole words). The rules are those of :mod:`analysis.patterns`.
    """
    if not str(pattern).split():
        raise UsageError("empty KWIC pattern")
    return _compile(str(pattern), valuetype, case_insensitive)


def _split(text: str) -> list[str]:
    """[sep, word, sep, word, ..., sep]: words at odd positions, text = "".join(parts)."""
    return split_words(text, numbers=True)


class _Matcher:
    """Maps words to integer ids over a growing vocabulary; evaluates each
    pattern part (:class:`analysis.patterns.Part`) once per distinct word."""

    def __init__(self):
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []
        self.hits: dict = {}   # Part -> mask over the words
        self.folded: dict[bool, list[str]] = {}   # the words folded (analysis.patterns.fold)

    def ids(self, words) -> np.ndarray:
        if not len(words):
            return np.array([], dtype=np.int64)
        codes, uniques = pd.factorize(pd.Series(words, dtype=object), sort=False)
        vocab, seen = self.vocab, self.words
        glob = np.empty(len(uniques), dtype=np.int64)
        for i, w in enumerate(uniques):
            j = vocab.get(w)
            if j is None:
                j = vocab[w] = len(seen)
                seen.append(w)
            glob[i] = j
        return glob[codes]

    def mask(self, part) -> np.ndarray:
        h = self.hits.get(part)
        n = len(self.words)
        if h is None or len(h) < n:
            done = 0 if h is None else len(h)
            folded = self.folded.setdefault(part.fold_case, [])
            folded.extend(fold(w, part.fold_case) for w in self.words[len(folded):])
            new = np.fromiter(map(part.test, folded[done:]), dtype=bool, count=n - done)
            h = new if h is None else np.concatenate([h, new])
            self.hits[part] = h
        return h

    def find(self, ids: np.ndarray, compiled) -> list[int]:
        k, n = len(compiled), len(ids)
        if n < k:
            return []
        hit = None
        for j, part in enumerate(compiled):
            m = self.mask(part)[ids[j:n - k + 1 + j]]
            hit = m if hit is None else hit & m
        return np.flatnonzero(hit).tolist()


#: units tokenised per batch by :func:`_token_ids`
TOKEN_BATCH = 4096


def _token_ids(texts: list[str], batch: int | None = None, punct_gaps: bool = False):
    """Every unit's lowercased running words as ids, the units' word counts, and the matcher.

    Ids follow the words' first appearance over all units (``pd.factorize`` of the
    whole word stream with ``sort=False`` gives the same codes), but only one batch
    of units is held as Python strings at a time. Holding the whole word stream of
    the General Debate sessions 60-79 as strings (with a list of unit numbers) made
    the compare stage peak at 1.59 GiB; with ids it peaks at 1.16 GiB.

    With ``punct_gaps=True`` a fourth array is returned: for every word, what stands
    between it and the next word of its unit: 2 punctuation (a character of a Unicode
    ``P*`` category; collocations never cross it), 1 another break of a phrase
    (:func:`analysis.patterns.is_break`: a symbol or a number, which these letter
    words leave out), 0 whitespace only (or the unit's last word).
    """
    matcher = _Matcher()
    lengths = np.zeros(len(texts), dtype=np.int64)
    parts, gaps = [], []
    batch = int(batch or TOKEN_BATCH)
    for a in range(0, len(texts), batch):
        words: list[str] = []
        for i, t in enumerate(texts[a:a + batch]):
            if punct_gaps:
                pieces = split_words(t.lower(), numbers=False)   # the words of tokens(t, lowercase=True)
                ws = pieces[1::2]
                gaps.append(np.fromiter((_gap_code(g) for g in pieces[2:-1:2]), dtype=np.int8,
                                        count=max(len(ws) - 1, 0)))
                if ws:
                    gaps.append(np.zeros(1, dtype=np.int8))
            else:
                ws = tokens(t, lowercase=True)
            words.extend(ws)
            lengths[a + i] = len(ws)
        parts.append(matcher.ids(words))
    ids = np.concatenate(parts) if parts else np.array([], dtype=np.int64)
    if punct_gaps:
        gap = np.concatenate(gaps) if gaps else np.array([], dtype=np.int8)
        return ids, lengths, matcher, gap
    return ids, lengths, matcher


@lru_cache(maxsize=4096)
def _gap_code(sep: str) -> int:
    """2 punctuation, 1 another phrase break, 0 whitespace (see :func:`_token_ids`)."""
    return 2 if _has_punct(sep) else int(is_break(sep))


@lru_cache(maxsize=4096)
def _has_punct(sep: str) -> bool:
    """Whether a separator between two words holds punctuation (Unicode category P*),
    quanteda's ``^\\p{P}+$`` tokens, which ``textstat_collocations`` never lets a sequence cross."""
    return any(unicodedata.category(ch).startswith("P") for ch in sep)


def find_matches(words, compiled) -> list[int]:
    """Start positions in ``words`` where the compiled phrase (from
    :func:`compile_pattern`) matches; each regex runs once per distinct word."""
    m = _Matcher()
    return m.find(m.ids(words), compiled)


def _kwic_units(data, docvars) -> pd.DataFrame:
    """Units of ``data`` (a corpus becomes one unit per document), sorted by position within
    each document, documents in their order of first appearance."""
    units = as_units(data, kind="document", docvars=docvars, what="KWIC: units")
    if not units["position"].is_monotonic_increasing or units["doc_id"].duplicated().any():
        first = pd.factorize(units["doc_id"])[0]
        order = np.lexsort((units["position"].to_numpy(), first))
        units = units.iloc[order]
    return units


def _iter_docs(units):
    """Yield (doc_id, [parts of each unit]) in order."""
    texts = units["text"].fillna("").astype(str).tolist()
    docs = units["doc_id"].tolist()
    i, n = 0, len(docs)
    while i < n:
        j = i
        while j < n and docs[j] == docs[i]:
            j += 1
        yield docs[i], [_split(t) for t in texts[i:j]]
        i = j


def _attach(df: pd.DataFrame, units: pd.DataFrame, docvars) -> pd.DataFrame:
    dv = [c for c in docvars if c in units.columns]
    if not dv:
        return df
    out = df.merge(units[["doc_id", *dv]].drop_duplicates("doc_id"), on="doc_id", how="left")
    cols = ["doc_id", *dv, *[c for c in df.columns if c != "doc_id"]]
    return out[cols]


def _as_list(patterns):
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    patterns = [p for p in patterns if str(p).strip()]
    if not patterns:
        raise UsageError("no KWIC patterns given")
    return list(patterns)


def _scan(units, patterns, valuetype, case_insensitive):
    """Yield (doc_id, parts, n_unit, offset, n_doc, pattern, k, start) for every match,
    document by document, then pattern by pattern, then by position: ``start`` indexes the
    words of the unit, ``offset`` is the number of words of the document before the unit,
    ``n_doc`` the words of the whole document."""
    compiled = [(p, compile_pattern(p, valuetype, case_insensitive)) for p in dict.fromkeys(patterns)]
    matcher = _Matcher()
    for doc_id, unit_parts in _iter_docs(units):
        n_doc = sum(len(parts) // 2 for parts in unit_parts)
        offset = 0
        hits = []
        for parts in unit_parts:
            ids = matcher.ids(parts[1::2])
            n = len(ids)
            for j, (p, comp) in enumerate(compiled):
                k = len(comp)
                hits.extend((j, offset + i, parts, n, offset, p, k, i)
                            for i in matcher.find(ids, comp)
                            if k == 1 or not _crosses_punct(parts, i, k))
            offset += n
        hits.sort(key=lambda h: h[:2])  # pattern by pattern, then by position in the document
        for _, _, parts, n, offset, p, k, i in hits:
            yield doc_id, parts, n, offset, n_doc, p, k, i


def _crosses_punct(parts, i: int, k: int) -> bool:
    """Whether a break (:func:`analysis.patterns.is_break`: punctuation or a symbol) stands
    between the words i..i+k-1 (word m is parts[2m + 1]): a phrase does not match across it
    ("war, against" is not "war against"), as in quanteda, where the mark is a token of its own."""
    return any(is_break(parts[2 * (i + m) + 2]) for m in range(k - 1))


def _kwic_row(doc_id, parts, n, offset, n_doc, p, k, i, window):
    j = i + k - 1
    # word m sits at parts[2m + 1]
    pre = "".join(parts[2 * max(i - window, 0) + 1:2 * i + 1]) if window else ""
    post = "".join(parts[2 * j + 2:2 * min(j + window, n - 1) + 2]) if window else ""
    return (doc_id, p, offset + i, _ws.sub(" ", pre).strip(),
            _ws.sub(" ", "".join(parts[2 * i + 1:2 * j + 2])), _ws.sub(" ", post).strip())


def _dispersion_row(doc_id, parts, n, offset, n_doc, p, k, i):
    term = " ".join(parts[2 * m + 1] for m in range(i, i + k)).lower()
    return (doc_id, p, term, offset + i, n_doc, (offset + i) / n_doc)


def _kwic_frame(rows, units, docvars):
    df = pd.DataFrame(rows, columns=KWIC_COLUMNS)
    df["position"] = df["position"].astype("int64")
    return _attach(df, units, docvars)


def _dispersion_frame(rows, units, docvars):
    df = pd.DataFrame(rows, columns=DISPERSION_COLUMNS)
    df["position"] = df["position"].astype("int64")
    df["n_tokens"] = df["n_tokens"].astype("int64")
    df["relative_position"] = df["relative_position"].astype(float)
    return _attach(df, units, docvars)


def _check_window(window):
    window = int(window)
    if window < 0:
        raise UsageError("KWIC window must be >= 0")
    return window


def stat_kwic_dispersion(units, patterns, window: int = 5, valuetype: str = "glob",
                         case_insensitive: bool = True, docvars=("date", "year", "speaker")):
    """:func:`stat_kwic` and :func:`stat_dispersion` from one pass over the units."""
    patterns, window = _as_list(patterns), _check_window(window)
    units = _kwic_units(units, docvars)
    kw, disp = [], []
    for hit in _scan(units, patterns, valuetype, case_insensitive):
        kw.append(_kwic_row(*hit, window))
        disp.append(_dispersion_row(*hit))
    return _kwic_frame(kw, units, docvars), _dispersion_frame(disp, units, docvars)


def stat_kwic(units, patterns, window: int = 5, valuetype: str = "glob",
              case_insensitive: bool = True, docvars=("date", "year", "speaker")) -> pd.DataFrame:
    """Keyword-in-context concordance.

    Parameters
    ----------
    units : DataFrame or Corpus
        Units from :func:`analysis.units.make_units` (the canonical input; docvars
        are taken from its columns), searched in order; phrases and context stop
        at unit boundaries. A Corpus is reshaped into one unit per available
        document (corpus order), so context runs across paragraphs.
    patterns : str or list of str
        Words, globs (``prevent*``) or phrases (``"responsibility to protect"``);
        a comma-separated string is split into several patterns. A phrase matches
        consecutive words with no punctuation between them ("war, against" is not
        "war against").
    window : int
        Words of context on each side.
    valuetype : {"glob", "regex", "fixed"}
        As quanteda's: a glob matches the whole word (``prevent*``; only ``*`` and
        ``?`` are wildcards), ``fixed`` the exact word, a regular expression anywhere
        in the word (anchor it with ``^`` and ``$`` for whole words). The project's
        one pattern language, :mod:`analysis.patterns`, as dictionaries and
        ``--passages`` read it.
    case_insensitive : bool

    Returns
    -------
    DataFrame
        ``doc_id``, docvars, ``pattern``, ``position`` (0-based word index of the
        first matched word), ``pre``, ``keyword`` (as written), ``post``.

    References
    ----------
    Luhn, H. P. (1960). Key word-in-context index for technical literature
    (KWIC index). *American Documentation*, 11(4), 288-295.

    Benoit, K. et al. (2018). quanteda: An R package for the quantitative
    analysis of textual data. *Journal of Open Source Software*, 3(30), 774.
    """
    patterns, window = _as_list(patterns), _check_window(window)
    units = _kwic_units(units, docvars)
    rows = [_kwic_row(*hit, window) for hit in _scan(units, patterns, valuetype, case_insensitive)]
    return _kwic_frame(rows, units, docvars)


def stat_dispersion(units, patterns, valuetype: str = "glob", case_insensitive: bool = True,
                    docvars=("date", "year", "speaker")) -> pd.DataFrame:
    """Word positions of every match, for a lexical dispersion (x-ray) plot.

    ``units`` as in :func:`stat_kwic` (units or a Corpus).

    Returns
    -------
    DataFrame
        ``doc_id``, docvars, ``pattern``, ``term`` (the matched words, lowercased),
        ``position`` (0-based word index), ``n_tokens`` (words in the document) and
        ``relative_position`` = position / n_tokens in [0, 1).

    References
    ----------
    Bird, S., Klein, E., & Loper, E. (2009). *Natural Language Processing with
    Python*, ch. 1 (lexical dispersion plots). O'Reilly.
    """
    patterns = _as_list(patterns)
    units = _kwic_units(units, docvars)
    rows = [_dispersion_row(*hit) for hit in _scan(units, patterns, valuetype, case_insensitive)]
    return _dispersion_frame(rows, units, docvars)


def _unit_texts(data, what: str) -> list[str]:
    """The texts of units (validated), of a corpus's paragraph units, or of a list of strings."""
    if isinstance(data, str):
        raise UsageError(f"{what}: expected units or a list of texts, not one string")
    if isinstance(data, pd.DataFrame) or hasattr(data, "available"):
        data = as_units(data, kind="paragraph", what=what)["text"]
        return data.fillna("").astype(str).tolist()
    return [t if isinstance(t, str) else "" if pd.isna(t) else str(t) for t in data]


def stat_collocations(texts, min_count: int = 5, remove_stopwords: bool = True,
                      language: str = "english", top: int | None = None,
                      sort_by: str = "g2", smoothing: float = 0.5) -> pd.DataFrame:
    """Adjacent word pairs scored by PMI, log-likelihood (G2) and quanteda's lambda and z.

    Parameters
    ----------
    texts : DataFrame, Corpus or iterable of str
        Units (the canonical input: :func:`analysis.units.make_units`, for example
        paragraphs); pairs never cross a unit boundary, nor punctuation (a comma or a
        full stop between two words makes them no pair, as in quanteda's
        ``textstat_collocations`` and in NLTK's finder over tokens that keep
        punctuation). A Corpus is reshaped into paragraph units; a list of strings is
        taken as the unit texts.
    min_count : int
        Keep pairs seen at least this often.
    remove_stopwords : bool
        Drop pairs in which either word is a stopword or a single letter (the
        other counts are unaffected: stopwords stay in the word stream, so
        "responsibility to protect" yields no pair "responsibility protect").
    top : int, optional
        Keep only the ``top`` pairs by ``sort_by``.
    sort_by : {"g2", "pmi", "count", "lambda", "z"}
    smoothing : float
        Added to each cell of the bigram table of ``lambda`` and ``z`` (quanteda's 0.5).

    Returns
    -------
    DataFrame
        ``collocation`` ("w1 w2"), ``word1``, ``word2``, ``count`` (pair count),
        ``count_word1``, ``count_word2`` (word counts), ``n_words`` (all running
        words), ``pmi`` = log2(count * n_words / (count_word1 * count_word2)) and
        ``g2`` = 2 sum O ln(O/E) over the 2x2 table (word1 first / not) x (word2
        second / not), with cells count, count_word1 - count, count_word2 - count and
        n_words - count_word1 - count_word2 + count. These are the definitions of
        NLTK's ``BigramAssocMeasures.pmi`` and ``likelihood_ratio`` (the tests
        check agreement); the counting here is vectorised for large corpora.
        ``lambda`` and ``z`` are quanteda's ``textstat_collocations`` (size 2): over
        all adjacent pairs (``n_pairs`` of them), with ``c11`` = count,
        ``c10`` = pairs starting with word1 but not ending with word2, ``c01`` = pairs
        ending with word2 but not starting with word1, ``c00`` = the rest, each plus
        ``smoothing``: ``lambda = log(c11 c00 / (c10 c01))`` (the log odds ratio,
        Blaheta & Johnson's interaction term) and ``z = lambda / sqrt(sum 1/c)``, its
        Wald statistic. The conformance suite checks both against quanteda's printed
        values. (PMI and G2 take word counts as margins, lambda and z pair counts.)

    References
    ----------
    Church, K. W., & Hanks, P. (1990). Word association norms, mutual information,
    and lexicography. *Computational Linguistics*, 16(1), 22-29.

    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. *Computational Linguistics*, 19(1), 61-74.

    Manning, C. D., & Schütze, H. (1999). *Foundations of Statistical Natural
    Language Processing*, ch. 5 (collocations). MIT Press.

    Blaheta, D., & Johnson, M. (2001). Unsupervised learning of multi-word verbs.
    *Proceedings of the ACL Workshop on Collocation*, 54-60.
    """
    from analysis.textstats.keyness import _g2

    texts = _unit_texts(texts, "stat_collocations: units")
    if sort_by not in ("g2", "pmi", "count", "lambda", "z"):
        raise UsageError("sort_by must be 'g2', 'pmi', 'count', 'lambda' or 'z'")
    if not smoothing >= 0:
        raise UsageError(f"smoothing must be >= 0, got {smoothing!r}")
    codes, lengths, matcher, punct = _token_ids(texts, punct_gaps=True)   # ids in first-appearance order
    if len(codes) < 2:
        return pd.DataFrame(columns=COLLOCATION_COLUMNS)
    vocab = np.asarray(matcher.words, dtype=object)
    unit_of = np.repeat(np.arange(len(lengths)), lengths)
    n_words = len(codes)
    word_counts = np.bincount(codes, minlength=len(vocab))
    same = (unit_of[1:] == unit_of[:-1]) & (punct[:-1] != 2)
    a, b = codes[:-1][same], codes[1:][same]
    V = len(vocab)
    n_pairs = float(len(a))
    first_counts = np.bincount(a, minlength=V).astype(float)
    second_counts = np.bincount(b, minlength=V).astype(float)
    keys, counts = np.unique(a.astype(np.int64) * V + b, return_counts=True)
    w1, w2 = keys // V, keys % V
    keep = counts >= max(int(min_count), 1)
    if remove_stopwords:
        stop = stopwords(language)
        bad = np.fromiter((w in stop or len(w) < 2 for w in vocab), dtype=bool, count=V)
        keep &= ~bad[w1] & ~bad[w2]
    w1, w2, c = w1[keep], w2[keep], counts[keep].astype(float)
    if not len(c):
        return pd.DataFrame(columns=COLLOCATION_COLUMNS)
    c1, c2 = word_counts[w1].astype(float), word_counts[w2].astype(float)
    n = float(n_words)
    obs = np.vstack([c, c1 - c, c2 - c, n - c1 - c2 + c])
    exp = np.vstack([c1 * c2, c1 * (n - c2), (n - c1) * c2, (n - c1) * (n - c2)]) / n
    df = pd.DataFrame({
        "collocation": [f"{x} {y}" for x, y in zip(vocab[w1], vocab[w2])],
        "word1": vocab[w1].astype(str), "word2": vocab[w2].astype(str),
        "count": c.astype(np.int64), "count_word1": c1.astype(np.int64),
        "count_word2": c2.astype(np.int64), "n_words": np.int64(n_words),
        "pmi": np.log2(c * n / (c1 * c2)), "g2": _g2(obs, exp),
    })
    f1, f2 = first_counts[w1], second_counts[w2]
    cells = np.vstack([c, f1 - c, f2 - c, n_pairs - f1 - f2 + c]) + float(smoothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.log(cells[0]) + np.log(cells[3]) - np.log(cells[1]) - np.log(cells[2])
        df["lambda"] = lam
        df["z"] = lam / np.sqrt((1.0 / cells).sum(axis=0))
    df = df.sort_values([sort_by, "collocation"], ascending=[False, True], kind="mergesort")
    if top:
        df = df.head(int(top))
    return df.reset_index(drop=True)


COLLOCATE_COLUMNS = ["node", "collocate", "count", "count_collocate", "window_words", "n_words",
                     "pmi", "g2"]


def stat_collocates(texts, nodes, window: int = 5, min_count: int = 3,
                    remove_stopwords: bool = True, language: str = "english",
                    top: int | None = None, sort_by: str = "g2") -> pd.DataFrame:
    """Words that occur near a node word or phrase (window collocates).

    For each match of a node (a word, glob or phrase, as in :func:`stat_kwic`;
    case-insensitive; a phrase does not match across punctuation) the ``window``
    words on each side form its window (clipped at unit boundaries; a word covered
    by two overlapping windows counts once; the node's own words are not counted). A word's ``count`` is its occurrences
    inside the windows; the 2x2 table is (inside / outside the windows) x (this
    word / other words).

    Parameters
    ----------
    texts : DataFrame, Corpus or iterable of str
        Units (paragraphs, :func:`analysis.units.make_units`; a Corpus is reshaped
        into paragraph units; a list of strings is taken as the unit texts);
        windows never cross a unit boundary.
    nodes : str or list of str
        One or more nodes (a comma-separated string is split).
    window : int
    min_count : int
        Keep collocates seen at least this often inside a node's windows.
    remove_stopwords : bool
        Drop stopword and one-letter collocates (they still count as words).
    top : int, optional
        Keep the ``top`` collocates of each node.
    sort_by : {"g2", "pmi", "count"}

    Returns
    -------
    DataFrame
        ``node, collocate, count, count_collocate`` (occurrences anywhere),
        ``window_words`` (words inside the node's windows), ``n_words`` (all words),
        ``pmi = log2((count / window_words) / (count_collocate / n_words))`` and signed
        ``g2`` (Dunning's log-likelihood of the 2x2 table; positive: more frequent
        near the node than elsewhere).

    References
    ----------
    Church, K. W., & Hanks, P. (1990). Word association norms, mutual information,
    and lexicography. *Computational Linguistics*, 16(1), 22-29.

    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. *Computational Linguistics*, 19(1), 61-74.

    Evert, S. (2008). Corpora and collocations. In A. Lüdeling & M. Kytö (eds.),
    *Corpus Linguistics: An International Handbook*, 1212-1248. De Gruyter.
    """
    from analysis.textstats.keyness import keyness_stats

    texts = _unit_texts(texts, "stat_collocates: units")
    if sort_by not in ("g2", "pmi", "count"):
        raise UsageError("sort_by must be 'g2', 'pmi' or 'count'")
    nodes = _as_list(nodes)
    window = _check_window(window)
    ids, lengths, matcher, punct = _token_ids(texts, punct_gaps=True)
    empty = pd.DataFrame(columns=COLLOCATE_COLUMNS)
    if not len(ids):
        return empty
    n = len(ids)
    unit = np.repeat(np.arange(len(lengths)), lengths)
    unit_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])[unit]
    unit_end = np.cumsum(lengths)[unit]                      # exclusive
    vocab = np.asarray(matcher.words, dtype=object)
    V = len(vocab)
    total = np.bincount(ids, minlength=V)
    ok_word = np.ones(V, dtype=bool)
    if remove_stopwords:
        stop = stopwords(language)
        ok_word = np.fromiter((w not in stop and len(w) > 1 for w in vocab), dtype=bool, count=V)
    out = []
    for node in nodes:
        comp = compile_pattern(node)
        k = len(comp)
        starts = np.asarray(matcher.find(ids, comp), dtype=np.int64)
        if len(starts):
            starts = starts[unit[starts] == unit[np.minimum(starts + k - 1, n - 1)]]  # phrase within a unit
        if len(starts) and k > 1:   # and with no break inside it, as in stat_kwic
            inside = np.zeros(len(starts), dtype=bool)
            for m in range(k - 1):
                inside |= punct[starts + m] > 0
            starts = starts[~inside]
        if not len(starts):
            continue
        lo = np.maximum(starts - window, unit_start[starts])
        hi = np.minimum(starts + k + window, unit_end[starts])
        diff = np.zeros(n + 1, dtype=np.int64)
        np.add.at(diff, lo, 1)
        np.add.at(diff, hi, -1)
        in_window = np.cumsum(diff[:-1]) > 0
        nd = np.zeros(n + 1, dtype=np.int64)
        np.add.at(nd, starts, 1)
        np.add.at(nd, starts + k, -1)
        in_window &= ~(np.cumsum(nd[:-1]) > 0)
        near = np.bincount(ids[in_window], minlength=V)
        w_words = int(near.sum())
        if w_words == 0 or w_words == n:
            continue
        idx = np.flatnonzero((near >= max(int(min_count), 1)) & ok_word)
        if not len(idx):
            continue
        ks = keyness_stats(near[idx], total[idx] - near[idx], w_words, n - w_words, correction="none")
        df = pd.DataFrame({
            "node": node, "collocate": vocab[idx].astype(str), "count": near[idx].astype(np.int64),
            "count_collocate": total[idx].astype(np.int64), "window_words": np.int64(w_words),
            "n_words": np.int64(n), "pmi": np.log2((near[idx] / w_words) / (total[idx] / n)),
            "g2": ks["g2"].to_numpy(),
        })
        df = df.sort_values([sort_by, "collocate"], ascending=[False, True], kind="mergesort")
        out.append(df.head(int(top)) if top else df)
    if not out:
        return empty
    return pd.concat(out, ignore_index=True)
