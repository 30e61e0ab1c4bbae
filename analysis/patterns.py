"""One pattern language for every search over words: KWIC, dictionaries, passages, seed words.

A *pattern* names words to find, as in quanteda's ``pattern`` argument with its
``valuetype`` and ``case_insensitive`` (Benoit et al. 2018). Every consumer reads
it the same way: :func:`analysis.textstats.kwic.stat_kwic` (and dispersion,
collocates), dictionary entries (:class:`analysis.framing.dictionary.Dictionary`),
passage selection (:func:`analysis.reshape.corpus_passages`, ``--passages``) and
the seed words of seeded topics (:func:`analysis.topicmod.seeded.seed_words`).

The rules
---------
Tokens
    A pattern matches *tokens*, never raw text. Before comparison a token and a
    glob or fixed pattern are NFC-normalised, curly apostrophes and Unicode
    hyphens are mapped to ``'`` and ``-`` (:func:`analysis.tokens.fold_apostrophes`)
    and, with ``case_insensitive=True`` (the default), case-folded
    (:meth:`str.casefold`; quanteda lowercases both sides). A hyphenated word
    (``prevent-ing``, ``capacity-building``, ``responsibility-to-protect``) and a
    word with an apostrophe (``State's``) are one token, as in quanteda's
    ``tokens(split_hyphens = FALSE)``: ``prevent*`` matches ``prevent-ing``, the
    phrase ``responsib* to protect`` does not match ``responsibility-to-protect``
    (write ``responsib*-to-protect`` for it). Punctuation is never part of a
    token, so no pattern matches it.
Parts and phrases
    A pattern is split at whitespace into *parts* (quanteda's ``phrase()``); each
    part is a glob, regex or fixed pattern for one token, and a pattern of k parts
    matches k consecutive tokens. A phrase never crosses a *break*: anything other
    than whitespace between two tokens (punctuation, a symbol, a number the
    tokenizer dropped). ``war against`` does not match "war, against", as in
    quanteda, where the comma is a token of its own.
``valuetype="glob"`` (default)
    ``*`` matches any run of characters, the empty one included, ``?`` exactly one
    character; every other character is literal (``U.N.`` means the four characters
    U . N ., never "any character"); the glob must match the *whole* token
    (``prevent*`` matches "prevention", not "unpreventable"). A glob without
    ``*`` or ``?`` is a fixed pattern (quanteda does the same).
``valuetype="regex"``
    A Python regular expression that may match *anywhere* in the token, as
    quanteda's (ICU) regex does: ``secur`` matches "security" and "insecurity";
    anchor it (``^secur``, ``^protect(s|ed)?$``) for more. Case-insensitive
    matching uses :data:`re.IGNORECASE` on the token as written.
``valuetype="fixed"``
    The exact token (after the folding above).

Which tokens a consumer reads is its own documented choice (KWIC counts numbers
as words, a dictionary reads words with at least one letter, see
:func:`pattern_tokens`); the matching rules above are the same everywhere.

References
----------
Benoit, K., Watanabe, K., Wang, H., Nulty, P., Obeng, A., Müller, S., & Matsuo, A.
(2018). quanteda: An R package for the quantitative analysis of textual data.
*Journal of Open Source Software*, 3(30), 774. https://doi.org/10.21105/joss.00774
(``pattern``, ``valuetype``, ``phrase()``, ``tokens_lookup``, ``kwic``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import accumulate

from analysis.errors import UsageError
from analysis.tokens import APOSTROPHES, lettered_word_pattern, word_pattern

__all__ = [
    "VALUETYPES",
    "Part",
    "Pattern",
    "PatternSet",
    "Tokens",
    "compile_pattern",
    "compile_patterns",
    "find_in_text",
    "fold",
    "is_break",
    "pattern_tokens",
    "phrase",
]

VALUETYPES = ("glob", "regex", "fixed")


def fold(token: str, case_insensitive: bool = True) -> str:
    """A token (or glob/fixed pattern) as compared: NFC, apostrophes/hyphens mapped, case-folded."""
    s = unicodedata.normalize("NFC", token).translate(APOSTROPHES)
    return s.casefold() if case_insensitive else s


def is_break(gap: str) -> bool:
    """Whether the text between two tokens stops a phrase: anything but whitespace."""
    return bool(gap) and not gap.isspace()


def phrase(pattern: str) -> tuple[str, ...]:
    """The parts of a multi-word pattern (quanteda's ``phrase()``): split at whitespace."""
    return tuple(str(pattern).split())


class Part:
    """One word of a pattern: a glob, regular expression or fixed string for one token.

    ``match(token)`` says whether the token matches (see the module docstring).
    """

    __slots__ = ("text", "valuetype", "case_insensitive", "exact", "regex", "fold_case")

    def __init__(self, text: str, valuetype: str = "glob", case_insensitive: bool = True):
        if valuetype not in VALUETYPES:
            raise UsageError(f"valuetype must be 'glob', 'regex' or 'fixed', got {valuetype!r}")
        self.text, self.case_insensitive = text, bool(case_insensitive)
        if valuetype == "glob" and "*" not in text and "?" not in text:
            valuetype = "fixed"
        self.valuetype = valuetype
        #: the ``case_insensitive`` argument of :func:`fold` that :meth:`test` expects
        self.fold_case = self.case_insensitive and valuetype != "regex"
        self.exact: str | None = None
        self.regex: re.Pattern | None = None
        if valuetype == "fixed":
            self.exact = fold(text, case_insensitive)
        elif valuetype == "glob":
            g = fold(text, case_insensitive)
            rx = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in g)
            self.regex = re.compile(rf"(?s:{rx})\Z")
        else:
            try:
                self.regex = re.compile(text, re.IGNORECASE if case_insensitive else 0)
            except re.error as e:
                raise UsageError(f"invalid regular expression {text!r} in pattern: {e}") from None

    def match(self, token: str) -> bool:
        """Whether ``token`` matches this part."""
        return self.test(fold(token, self.fold_case))

    def test(self, folded: str) -> bool:
        """:meth:`match` for a token already folded (``fold(token, self.fold_case)``)."""
        if self.exact is not None:
            return folded == self.exact
        if self.valuetype == "regex":
            return self.regex.search(folded) is not None
        return self.regex.match(folded) is not None

    def __repr__(self) -> str:
        return f"Part({self.text!r}, {self.valuetype!r}, case_insensitive={self.case_insensitive})"


class Pattern:
    """A compiled pattern: its text and its parts (one per token of a phrase).

    Parameters
    ----------
    pattern : str
        One word pattern or a phrase (parts separated by whitespace).
    valuetype : {"glob", "regex", "fixed"}
    case_insensitive : bool
    """

    def __init__(self, pattern: str, valuetype: str = "glob", case_insensitive: bool = True):
        self.pattern = str(pattern)
        self.valuetype, self.case_insensitive = valuetype, bool(case_insensitive)
        pieces = phrase(self.pattern)
        if not pieces:
            raise UsageError("empty pattern")
        self.parts = tuple(Part(p, valuetype, case_insensitive) for p in pieces)

    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self):
        return iter(self.parts)

    def __getitem__(self, j):
        return self.parts[j]

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r}, {self.valuetype!r}, case_insensitive={self.case_insensitive})"

    def match_token(self, token: str) -> bool:
        """Whether a one-part pattern matches ``token`` (a phrase never matches one token)."""
        return len(self.parts) == 1 and self.parts[0].match(token)

    def find(self, tokens: Sequence[str], gaps: Sequence[str] | None = None) -> list[tuple[int, int]]:
        """``(start, end)`` token spans where the pattern matches (see :meth:`PatternSet.find`)."""
        return [(s, e) for _, s, e in PatternSet([self]).find(tokens, gaps)]

    def search(self, text: str, numbers: bool = True) -> bool:
        """Whether the pattern matches somewhere in ``text`` (tokens of :func:`pattern_tokens`)."""
        return bool(self.find(pattern_tokens(text, numbers=numbers)))


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str, valuetype: str = "glob", case_insensitive: bool = True) -> Pattern:
    """Compile one pattern (cached); raises :class:`~analysis.errors.UsageError` when malformed."""
    return Pattern(pattern, valuetype, case_insensitive)


def compile_patterns(patterns: str | Iterable[str], valuetype: str = "glob",
                     case_insensitive: bool = True) -> PatternSet:
    """Compile patterns into a :class:`PatternSet` (one string is one pattern; cached).

    Raises :class:`~analysis.errors.UsageError` for an empty pattern, a malformed
    regular expression or an unknown ``valuetype``.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    return _compile_set(tuple(str(p) for p in patterns), valuetype, bool(case_insensitive))


@lru_cache(maxsize=256)
def _compile_set(patterns: tuple[str, ...], valuetype: str, case_insensitive: bool) -> PatternSet:
    return PatternSet([compile_pattern(p, valuetype, case_insensitive) for p in patterns])


class PatternSet:
    """Patterns matched together; every part is evaluated once per distinct token.

    The first parts are indexed: fixed first parts in a dictionary keyed by the
    folded token, the others tried in turn; the answer for each distinct token
    (as written) is cached, so a corpus costs one evaluation per vocabulary type
    and pattern, as quanteda's ``pattern2id`` works over types.
    """

    def __init__(self, patterns: Sequence[Pattern]):
        self.patterns = tuple(patterns)
        self._exact: dict[tuple[bool, str], list[int]] = {}
        self._globs: dict[bool, list[int]] = {}
        self._regex: list[int] = []
        for i, p in enumerate(self.patterns):
            first = p.parts[0]
            if first.exact is not None:
                self._exact.setdefault((first.case_insensitive, first.exact), []).append(i)
            elif first.valuetype == "glob":
                self._globs.setdefault(first.case_insensitive, []).append(i)
            else:
                self._regex.append(i)
        self._modes = sorted({k[0] for k in self._exact} | set(self._globs))
        # one regex per case mode that any first-part glob matches: most tokens match none
        self._any = {ci: re.compile("|".join(f"(?:{self.patterns[i].parts[0].regex.pattern})" for i in ix))
                     for ci, ix in self._globs.items()}
        self._first: dict[str, tuple[int, ...]] = {}
        self._part: dict[tuple[int, int, str], bool] = {}

    def __len__(self) -> int:
        return len(self.patterns)

    def may_match(self, text: str) -> bool:
        """False when no pattern can match in ``text`` (a fast pre-test on the raw text).

        A pattern can match only if the literal pieces of its glob and fixed parts
        (the characters between wildcards) all occur in the folded text; a pattern
        made of regular expressions only always may match, and so does a text that
        is not in Unicode normal form C (its folding could differ token by token).
        """
        pre = self.__dict__.get("_literals")
        if pre is None:
            pre = self._literals = [
                (p.case_insensitive, [lit for q in p.parts if q.valuetype != "regex"
                                      for lit in re.split(r"[*?]", fold(q.text, p.case_insensitive)) if lit])
                for p in self.patterns]
        if not unicodedata.is_normalized("NFC", text):
            return True
        folded: dict[bool, str] = {}
        for ci, lits in pre:
            if ci not in folded:
                folded[ci] = fold(text, ci)
            if all(lit in folded[ci] for lit in lits):
                return True
        return False

    def first(self, token: str) -> tuple[int, ...]:
        """Indices (in order) of the patterns whose first part matches ``token``."""
        hit = self._first.get(token)
        if hit is None:
            found = set()
            for ci in self._modes:
                ft = fold(token, ci)
                found.update(self._exact.get((ci, ft), ()))
                if ci in self._any and self._any[ci].match(ft):
                    found.update(i for i in self._globs[ci] if self.patterns[i].parts[0].regex.match(ft))
            found.update(i for i in self._regex if self.patterns[i].parts[0].match(token))
            hit = self._first[token] = tuple(sorted(found))
        return hit

    def part_match(self, i: int, j: int, token: str) -> bool:
        """Whether part ``j`` of pattern ``i`` matches ``token`` (cached)."""
        key = (i, j, token)
        r = self._part.get(key)
        if r is None:
            r = self._part[key] = self.patterns[i].parts[j].match(token)
        return r

    def find(self, tokens: Sequence[str], gaps: Sequence[str] | None = None) -> list[tuple[int, int, int]]:
        """Every match ``(pattern index, start, end)`` in ``tokens``, by start then pattern.

        Matches may overlap (each consumer decides what to count). ``gaps[i]`` is the
        text between ``tokens[i]`` and ``tokens[i + 1]``; a phrase does not match
        across a gap that :func:`is_break` calls a break. Without ``gaps`` the
        ``gaps`` attribute of a :class:`Tokens` is used; a plain list has none.
        """
        if gaps is None:
            gaps = getattr(tokens, "gaps", None)
        out = []
        n = len(tokens)
        pats, cache = self.patterns, self._first
        parts, part_match = self._part, self.part_match
        for s, tok in enumerate(tokens):
            hit = cache.get(tok)
            if hit is None:
                hit = self.first(tok)
            for i in hit:
                k = len(pats[i].parts)
                if k > 1:
                    if s + k > n:
                        continue
                    ok = True
                    for j in range(1, k):
                        r = parts.get((i, j, tokens[s + j]))
                        if not (part_match(i, j, tokens[s + j]) if r is None else r):
                            ok = False
                            break
                    if not ok or (gaps is not None and any(is_break(gaps[s + j]) for j in range(k - 1))):
                        continue
                out.append((i, s, s + k))
        return out

    def types(self, vocabulary: Iterable[str], part: int | None = 0) -> list[list[str]]:
        """For each pattern, the vocabulary types its part ``part`` matches (all parts: None)."""
        vocab = list(vocabulary)
        out = []
        for p in self.patterns:
            parts = p.parts if part is None else p.parts[part:part + 1]
            out.append([t for t in vocab if any(q.match(t) for q in parts)])
        return out


class Tokens(list):
    """A list of tokens that also knows the text between them (``gaps``, one fewer)."""

    gaps: list[str]
    lead: int = 0                 # characters before the first token
    spans: list[tuple[int, int]] | None = None


@lru_cache(maxsize=4)
def _token_regex(numbers: bool) -> re.Pattern:
    return re.compile(f"({word_pattern(numbers=True, joiners=chr(39) + '-') if numbers else lettered_word_pattern()})")


def pattern_tokens(text: str, numbers: bool = True, spans: bool = False) -> Tokens:
    """The tokens patterns read in plain text, with the gaps between them.

    A token is a run of letters and digits with internal hyphens or apostrophes
    (curly apostrophes and Unicode hyphens folded first: ``State's``,
    ``prevent-ing``, ``R2P``, ``G-77``). With ``numbers=False`` tokens without a
    letter (``2005``) are dropped, as the dictionary engine's word counts do; the
    dropped number stays in the gap, so a phrase does not match across it.

    Parameters
    ----------
    text : str
    numbers : bool
        Keep tokens made of digits only.
    spans : bool
        Also record each token's ``(start, end)`` character offsets in ``text``
        (the ``spans`` attribute).

    Returns
    -------
    Tokens
        The tokens (a list) with ``gaps`` (and ``spans``).
    """
    if text is None or not isinstance(text, str):
        text = "" if text is None or text != text else str(text)
    s = text.translate(APOSTROPHES)
    pieces = _token_regex(bool(numbers)).split(s)
    out = Tokens(pieces[1::2])
    out.gaps = pieces[2:-1:2]
    out.lead = len(pieces[0])
    if spans:
        ends = list(accumulate(map(len, pieces)))     # pieces[k] ends at ends[k]
        out.spans = list(zip(ends[0:-1:2], ends[1::2]))
    return out


def find_in_text(text: str, patterns, valuetype: str = "glob", case_insensitive: bool = True,
                 numbers: bool = True) -> list[tuple[int, int, str, str]]:
    """Every match of ``patterns`` in ``text``: ``(start, end, pattern, matched text)`` by position.

    ``start``/``end`` are character offsets of the first and last matched token;
    matches of different patterns may overlap; a pattern's own matches may too
    (``a a`` in "a a a" matches twice).
    """
    ps = patterns if isinstance(patterns, PatternSet) else compile_patterns(patterns, valuetype, case_insensitive)
    toks = pattern_tokens(text, numbers=numbers)
    found = ps.find(toks)
    if not found:
        return []
    # [lead, token 0, gap 0, token 1, ...] lengths, accumulated: token m spans ends[2m] .. ends[2m + 1]
    ends = list(accumulate([toks.lead, *(n for pair in zip(map(len, toks), map(len, toks.gaps + [""]))
                                         for n in pair)]))
    hits = []
    for i, s, e in found:
        a, b = ends[2 * s], ends[2 * (e - 1) + 1]
        hits.append((a, b, ps.patterns[i].pattern, text[a:b]))
    return sorted(hits)
