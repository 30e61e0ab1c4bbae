"""Text preparation: normalisation, UN header removal, units, sentences and tokens.

Every choice made here is recorded in :class:`TextSettings`, which the pipeline
writes to ``run.json`` so a run can be reproduced exactly. Words and terms come
from the one tokens layer, :mod:`analysis.tokens` (its names ``WORD_PATTERN``,
``count_words``, ``stopwords`` are re-exported here); units are validated by
:func:`analysis.units.validate_units`.

References
----------
Kiss, T. and Strunk, J. (2006). Unsupervised multilingual sentence boundary
detection. *Computational Linguistics* 32(4), 485-525 (the Punkt algorithm).
Porter, M. F. (2001). Snowball: a language for stemming algorithms.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import asdict, dataclass
from typing import ClassVar
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from analysis.annotations import DEFAULT_ANNOTATIONS
from analysis.errors import UsageError
from analysis.settings import StageSettings, setting
from analysis.tokens import WORD_OR_NUMBER_PATTERN, WORD_PATTERN, count_words, stopwords, terms
from analysis.units import UNIT_COLUMNS, ends_mid_sentence, validate_units

if TYPE_CHECKING:  # pragma: no cover
    from analysis.corpus import Corpus

__all__ = [
    "TextSettings",
    "normalize",
    "strip_un_header",
    "prepare",
    "paragraphs",
    "layout",
    "corpus_layout",
    "units_report",
    "LAYOUT_ARTEFACTS",
    "LAYOUT_COUNTS",
    "sentences",
    "train_punkt",
    "word_tokens",
    "tokenize",
    "count_words",
    "stopwords",
    "make_units",
    "as_units",
    "WORD_PATTERN",
    "WORD_OR_NUMBER_PATTERN",
    "UNIT_COLUMNS",
]


@dataclass(frozen=True)
class TextSettings(StageSettings):
    """Choices of text preparation (the ``text`` settings group), recorded with every run.

    Set with ``--set text.KEY=VALUE``; ``r2p settings text`` lists them.

    Parameters
    ----------
    lowercase : bool
        Fold case before counting terms.
    remove_stopwords : bool
        Drop stopwords (NLTK's list for ``language``; scikit-learn's English
        list with a warning when NLTK's is absent).
    stem : bool
        Apply the Snowball stemmer (Porter 2001).
    min_token_len : int
        Drop tokens shorter than this many characters.
    keep_numbers : bool
        Keep tokens made of digits (for example years) as terms.
    language : str
        Language for stopwords and stemming.
    extra_stopwords : tuple of str
        Further words to drop (for example ``("united", "nations")``).
    annotations : tuple of str
        Transcript annotations removed from every text before anything is counted
        (names of :data:`analysis.annotations.PATTERNS`: ``[Laughter]``, ``(spoke in
        French)``...); all by default, empty (``--set text.annotations=``) to keep
        them. The run counts what it removed in ``annotations.csv`` and in the
        ``annotations_removed`` column of ``documents.csv``.
    unwrap : {"auto", "never"}
        The unit rule (:func:`paragraphs`). ``auto``: hard-wrapped text (line breaks
        inside sentences) is unwrapped, page numbers, UN document numbers and running
        heads left by PDF extraction are removed (counted by :func:`layout`), a block
        that ends mid-sentence is joined to the next, and texts without paragraph
        marks are cut into groups of ``sentences_per_unit`` sentences. ``never``: the
        source's blank lines (or, without any, its line breaks) are the paragraphs.
    sentences_per_unit : int
        Sentences per unit where the source marks no paragraphs (no blank lines, no
        indentation, no line breaks between sentences), and in a paragraph longer
        than ``max_unit_words``. The default, 3, is the median number of sentences of
        the marked paragraphs of the UN General Debate speeches of sessions 60-79.
    max_unit_words : int
        A paragraph with more running words is cut into groups of sentences; a
        group closes before it would pass this many words (a single longer sentence
        stays whole). 0: no bound.
    """

    group: ClassVar[str] = "text"

    lowercase: bool = setting(True, "Fold case before counting terms.")
    remove_stopwords: bool = setting(True, "Drop stopwords (NLTK's list for `language`).")
    stem: bool = setting(False, "Apply the Snowball stemmer (Porter 2001).")
    min_token_len: int = setting(2, "Drop tokens shorter than this many characters.", ge=1)
    keep_numbers: bool = setting(False, "Keep tokens made of digits (years, article numbers) as terms.")
    language: str = setting("english", "Language of the stopwords and the stemmer.",
                            choices=("english", "french", "spanish", "german", "russian", "arabic",
                                     "portuguese", "italian", "dutch"))
    extra_stopwords: tuple[str, ...] = setting((), "Further words to drop, e.g. `united; nations`.",
                                               alt=("united", "nations"))
    annotations: tuple[str, ...] = setting(
        DEFAULT_ANNOTATIONS, "Transcript annotations removed before counting (`[Laughter]`, `(spoke in French)`); "
        "empty: keep them.", choices=DEFAULT_ANNOTATIONS, alt=("laughter", "applause"))
    unwrap: str = setting(
        "auto", "Unit rule: `auto` unwraps hard-wrapped lines, removes page numbers and running heads and "
        "groups sentences where the source marks no paragraphs; `never`: blank lines (else line breaks) "
        "are paragraphs.", choices=("auto", "never"))
    sentences_per_unit: int = setting(
        3, "Sentences per unit where the source marks no paragraphs (and in paragraphs longer than "
        "`max_unit_words`).", ge=1)
    max_unit_words: int = setting(
        400, "Paragraphs longer than this many words are cut into groups of whole sentences of at most "
        "this many words; 0: no bound.", ge=0)

    def unit_rule(self) -> dict:
        """The settings that decide the paragraph units (keyword arguments of :func:`make_units`)."""
        return {"unwrap": self.unwrap, "sentences_per_unit": self.sentences_per_unit,
                "max_unit_words": self.max_unit_words}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extra_stopwords"] = list(self.extra_stopwords)
        d["annotations"] = list(self.annotations)
        d["normalisation"] = NORMALISATION_STEPS
        d["tokenizer"] = f"nltk RegexpTokenizer({WORD_PATTERN!r})"
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TextSettings":
        """Read settings back from a run record (``run.json``), ignoring recorded extras."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls.from_mapping(known)


NORMALISATION_STEPS = [
    "unicode NFC",
    "soft hyphens and zero-width characters removed",
    "curly quotes to straight quotes",
    "hyphen variants (U+2010, U+2011) to '-'",
    "dash variants (en, em, bar, minus, ' -- ') to ' - ' between words",
    "non-breaking and other spaces to ' '; runs of spaces collapsed",
    "lines stripped; three or more line breaks to one blank line",
    "(prepare) a text whose paragraphs are marked by indented first lines: a blank line before each",
]

#: characters replaced (or, mapped to "", removed) by :func:`normalize`
_QUOTE_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-",
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
}
_QUOTE_CHARS = re.compile("[" + "".join(_QUOTE_MAP) + "]")
#: a dash used as punctuation (the white space around it is dropped by normalize)
_DASH = re.compile(r"[\u2012\u2013\u2014\u2015\u2212]|(?<!-)--(?!-)")


def _quote(m: re.Match) -> str:
    return _QUOTE_MAP[m.group()]


def normalize(text: str) -> str:
    """Normalise Unicode, quotes, dashes and white space (see ``NORMALISATION_STEPS``).

    Dashes used as punctuation become `` - `` so that "1990\u20131999" and
    "prevention \u2014 and response" tokenise the same way whatever the source.
    Paragraph breaks (blank lines) are kept; the result ends without white space.

    Equal to replacing ``\\s*DASH\\s*`` by `` - `` and ``[^\\S\\n]+`` by one space
    and stripping each line, but written with ``str.split`` and ``str.strip``: a pattern that
    starts with ``\\s*``, or one that matches every single space, is tried at every
    character and took 5 of the 8 s of normalising the UNGDC sessions 60-79
    (48 M characters); this takes under 2 s (tested equal on fuzzed strings).
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize expects str, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _QUOTE_CHARS.sub(_quote, text)
    parts = _DASH.split(text)
    if len(parts) > 1:  # each dash with the white space on both sides of it -> " - "
        last = len(parts) - 1
        text = " - ".join(p.strip() if 0 < i < last else (p.rstrip() if i == 0 else p.lstrip())
                          for i, p in enumerate(parts))
    # white space other than line breaks collapsed to one space, lines stripped
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_DATE_LINE = re.compile(
    rf"^(?:\w+day,?\s+)?(?:\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}|(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}})\.?$",
    re.IGNORECASE,
)
_SYMBOL_LINE = re.compile(r"^(?:SG/SM/\d+|GA/\d+|SC/\d+|[A-Z]{1,3}/\d+(?:/[A-Z0-9.]+)*)(?:\s.*)?$")
_AS_DELIVERED = re.compile(
    r"\s*\[\s*(?:as delivered|as prepared for delivery|check against delivery)\s*\]", re.IGNORECASE
)
_PLAIN_MARKER = re.compile(
    r"^(?:\[?\s*(?:as delivered|as prepared for delivery|check against delivery)\s*\]?)\.?$",
    re.IGNORECASE,
)
_TITLE_WORDS = re.compile(
    r"\b(remarks|statement|message|address|opening|closing|briefing|speech|report)\b", re.IGNORECASE
)


def _is_place_line(line: str) -> bool:
    words = line.replace(",", " ").split()
    return (
        0 < len(words) <= 4
        and not line.endswith((".", "?", "!", ":", ";"))
        and all(w[:1].isupper() for w in words)
        and not _TITLE_WORDS.search(line)
    )


def strip_un_header(text: str, max_lines: int = 8) -> str:
    """Remove the header block of a UN statement page.

    Within the first ``max_lines`` non-empty lines, drops place lines ("New York"),
    date lines ("6 September 2017"), document symbols ("SG/SM/18676"),
    the title line (a Markdown heading, or a line naming remarks, statement,
    message or address that does not end like a sentence) and delivery markers
    ("[as delivered]", which is also removed wherever it stands). Stops at the
    first line that reads like body text, so the body is never touched.
    """
    lines = text.split("\n")
    out_start = 0
    seen = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            out_start = i + 1
            continue
        seen += 1
        if seen > max_lines:
            break
        bare = line.lstrip("#").strip()
        if (
            line.startswith("#")
            or _DATE_LINE.match(bare)
            or _SYMBOL_LINE.match(bare)
            or _PLAIN_MARKER.match(bare)
            or _is_place_line(bare)
            or (_TITLE_WORDS.search(bare) and not bare.endswith((".", "?", "!")) and len(bare.split()) <= 30)
        ):
            out_start = i + 1
            continue
        break
    body = "\n".join(lines[out_start:])
    body = _AS_DELIVERED.sub("", body)
    return body.strip()


def _indent_breaks(text: str) -> str:
    """A blank line before each indented line that follows a flush line, where indentation marks
    paragraphs: at least two such lines, and most lines flush (a text indented throughout, or a
    block quote, is not changed). Runs on the raw text, before :func:`normalize` strips lines."""
    if "\n" not in text or not _INDENTED.search(text):
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    filled = [ln for ln in lines if ln.strip()]
    starts = [i for i, ln in enumerate(lines) if i and _INDENTED.match(ln) and lines[i - 1].strip()
              and not _INDENTED.match(lines[i - 1])]
    indented = sum(1 for ln in filled if _INDENTED.match(ln))
    if len(starts) < 2 or indented * 2 > len(filled):
        return text
    for i in reversed(starts):
        lines.insert(i, "")
    return "\n".join(lines)


_INDENTED = re.compile(r"^[ \t\u00a0\u2000-\u200a\u3000]+\S", re.MULTILINE)


def prepare(text: str, un_header: bool = True) -> str:
    """Normalise a raw text and (optionally) strip a UN statement header.

    Paragraphs marked by indented first lines (and no blank lines between them)
    are kept: a blank line is put before each indented line (see
    ``NORMALISATION_STEPS``) before :func:`normalize` strips the lines.
    """
    text = normalize(_indent_breaks(text))
    if un_header:
        text = strip_un_header(text)
    return text


# ------------------------------------------------------- layout and the unit rule
#: the layout artefacts :func:`layout` removes (name -> what it is)
LAYOUT_ARTEFACTS = {
    "page_number": "a line holding only a number of 1-3 digits (a page number or a footnote mark of the "
                   "PDF, e.g. '25' between 'aside from' and 'the')",
    "document_number": "a line holding only a UN job number with or without a page number or bar code "
                       "('05-51226 11', '12 05-51226', '17-29597 (E) *1729597*')",
    "running_head": "a line holding only a verbatim record's symbol ('A/63/PV.13') or a UN document symbol "
                    "beside a date or page number ('26/09/2008 A/63/PV.13'), or a short line with a digit (at "
                    "most six words, two of them of four letters or more) repeated three times or more in the "
                    "text with only its digits changing ('Page 3 of 12'; a line without letters, such as the rows of a "
                    "table of figures, is not one)",
    "rule": "a horizontal rule ('---', '***'): a paragraph break",
}
#: further counts of :func:`layout` (not removals)
LAYOUT_COUNTS = {
    "line_breaks_joined": "line breaks inside a paragraph (hard wrapping) replaced by a space",
    "blocks_joined": "blank-line breaks after a block that ends mid-sentence (a page break, a heading, "
                     "'Mr. President,') joined to the next block",
    "sentence_groups": "units made as groups of sentences (no paragraph marks, or a paragraph over "
                       "text.max_unit_words)",
}
_PAGE_NUMBER = re.compile(r"\d{1,3}")
_JOB_NUMBER = re.compile(r"(?:\d{1,4}\s+|\d{1,2}/\d{1,2}(?:/\d{2,4})?\s+)?\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s*\*\d{7,}\*)?"
                         r"(?:\s+(?:\d{1,4}|\d{1,2}/\d{1,2}(?:/\d{2,4})?))?")
_DATE_NUM = r"(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{1,4})"
_SYMBOL = r"[A-Z]{1,2}/(?:[A-Z.]+/)?\d+(?:/[A-Z0-9.]*[A-Z0-9])*"
#: a verbatim record's symbol (A/63/PV.13) alone, or any symbol beside a date or page number
_SYMBOL_HEAD = re.compile(rf"[A-Z]{{1,2}}/\d+/PV\.\d+|{_DATE_NUM}\s+{_SYMBOL}|{_SYMBOL}\s+{_DATE_NUM}")
_RULE = re.compile(r"[-*_=~\u2500]{3,}")
_SENTENCE_PUNCT_END = re.compile(r"[.!?,;:]['\")\]]*$")


def _artefact(line: str, repeated: set[str]) -> str | None:
    """The kind of layout artefact a (stripped, non-empty) line is, or None for text."""
    if line.isdigit() and _PAGE_NUMBER.fullmatch(line):
        return "page_number"
    if _JOB_NUMBER.fullmatch(line):
        return "document_number"
    if _SYMBOL_HEAD.fullmatch(line):
        return "running_head"
    if _RULE.fullmatch(line):
        return "rule"
    if repeated and _DIGITS.sub("9", line) in repeated:
        return "running_head"
    return None


_DIGITS = re.compile(r"\d+")


def _long_words(line: str) -> int:
    """Words of a line with four letters or more."""
    return sum(1 for w in line.split() if sum(ch.isalpha() for ch in w) >= 4)


def _repeated_heads(lines: list[str]) -> set[str]:
    """Short lines with a digit and a letter that occur three times or more with only their digits
    changing (rows of a table of figures, '1931 574,870,000 196,700,000', have no letter)."""
    from collections import Counter

    c = Counter(_DIGITS.sub("9", ln) for ln in lines
                if ln and len(ln) <= 60 and _DIGITS.search(ln) and not _SENTENCE_PUNCT_END.search(ln)
                and len(ln.split()) <= 6 and _long_words(ln) <= 2
                and any(ch.isalpha() for ch in ln))
    return {k for k, n in c.items() if n >= 3}


def _hard_wrapped(lines: list[str], kinds: list[str | None]) -> bool:
    """Whether the line breaks of a text fall inside sentences (the text is hard-wrapped).

    Among line breaks between two text lines (no blank line, no artefact between
    them), the share after a line that ends mid-sentence
    (:func:`analysis.units.ends_mid_sentence`) is at least a half, over at least
    three breaks. A text with one paragraph per line ends nearly every line with a
    sentence; a text wrapped at 60-70 characters ends most lines inside one.
    """
    n = mid = 0
    for i in range(len(lines) - 1):
        if lines[i] and lines[i + 1] and kinds[i] is None and kinds[i + 1] is None:
            n += 1
            mid += ends_mid_sentence(lines[i])
    return n >= 3 and mid * 2 >= n


def _join(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a word hyphenated at the line end keeps its hyphen and
    no space ("Secretary-" + "General"), everything else gets one space."""
    if not a:
        return b
    if not b:
        return a
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[:1].isalpha():
        return a + b
    return a + " " + b


def _sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end of a paragraph (rule-based, for grouping sentences).

    A sentence ends at ``. ! ?`` or an ellipsis, with closing quotes or brackets,
    followed by white space and an upper-case letter, a digit or an opening quote
    or bracket; not after a title or common abbreviation (``Mr.``, ``Dr.``,
    ``No.``, ``para.``, ``e.g.``, ...) or a single capital letter (``J. F.
    Kennedy``, ``U.S.``). Deterministic and independent of NLTK's models, so the
    units are the same on every machine.
    """
    ends = []
    for m in _SENT_END.finditer(text):
        before = text[: m.start() + 1]
        word = before.rsplit(None, 1)[-1] if before.strip() else ""
        w = word.strip("\"'([{").rstrip(".!?\u2026")
        if m.group(1) == "." and (w.lower() in _ABBREVIATIONS or (len(w) == 1 and w.isupper())
                                  or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", w)):
            continue
        ends.append(m.end(2))
    return ends


_SENT_END = re.compile(r"([.!?\u2026])([\"')\]\u201d\u2019]*)(?=\s+[\"'(\[\u201c\u2018]?[A-Z0-9\u00c0-\u024f])")
_ABBREVIATIONS = frozenset("""mr mrs ms mme mm dr prof st no nos art arts para paras p pp vol vols fig figs
e.g i.e cf al vs v gen sen rep gov hon amb jr sr messrs mt ft inc co corp ltd dept sect sec ch rev
h.e h.r.h h.m op ibid approx est jan feb mar apr jun jul aug sep sept oct nov dec""".split())


def _group_sentences(par: str, size: int, max_words: int) -> list[str]:
    """A paragraph cut into groups of ``size`` sentences, each closed before it passes ``max_words``."""
    cuts = [0, *_sentence_ends(par), len(par)]
    sents = [par[a:b].strip() for a, b in zip(cuts, cuts[1:]) if par[a:b].strip()]
    groups: list[list[str]] = []
    words = 0
    for s in sents:
        n = count_words(s)
        if groups and len(groups[-1]) < size and not (max_words and words + n > max_words):
            groups[-1].append(s)
            words += n
        else:
            groups.append([s])
            words = n
    return [" ".join(g) for g in groups]


def layout(text: str, unwrap: str = "auto", sentences_per_unit: int = 3, max_unit_words: int = 400,
           group: bool = True) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """The paragraphs of a prepared text, with the layout artefacts removed and counted.

    The unit rule (``unwrap="auto"``):

    1. Layout artefacts (:data:`LAYOUT_ARTEFACTS`) are removed: lines that hold
       only a page number, a UN job number or a document symbol, repeated running
       heads; numbers inside a line ("resolution 1674", "in 2005", "some 500" at a
       line end) are text and stay.
    2. A text is hard-wrapped when most of its line breaks fall inside a sentence
       (:func:`_hard_wrapped`); its line breaks are then spaces. In a text with one
       paragraph per line, a line break after a line that ends mid-sentence
       (:func:`analysis.units.ends_mid_sentence`) is a space too.
    3. Paragraphs are separated by blank lines (indentation was turned into blank
       lines by :func:`prepare`), by rules and by the place of a removed page
       artefact; a block that ends mid-sentence (a page break inside a sentence, a
       heading, "Mr. President,") is joined to the next.
    4. With ``group``, where the source marks no paragraphs (one block after steps
       1-3), the text is cut into groups of ``sentences_per_unit`` sentences; so is
       any paragraph over ``max_unit_words`` running words (0: no bound). A group
       closes before it would pass ``max_unit_words`` words.

    ``unwrap="never"``: the blocks between blank lines (or, without any, the lines)
    are the paragraphs, as the source has them; nothing is removed or grouped.

    Returns
    -------
    (list of str, dict, dict)
        The paragraphs (line breaks inside them replaced by spaces), the counts
        (keys of :data:`LAYOUT_ARTEFACTS` and :data:`LAYOUT_COUNTS`, only those
        above 0) and the first removed line of each artefact kind.

    References
    ----------
    Jankin, S., Baturo, A. and Dasandi, N. (2025). United Nations General Debate
    Corpus 1946-2024, V13. Harvard Dataverse, doi:10.7910/DVN/0TJX8Y (texts extracted
    from the PDF verbatim records, hard-wrapped with page numbers and job numbers:
    the artefacts this rule removes).
    """
    if unwrap not in ("auto", "never"):
        raise UsageError(f"text.unwrap must be auto or never, not {unwrap!r}")
    text = text.strip()
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    if not text:
        return [], counts, first
    if unwrap == "never":
        parts = re.split(r"\n\s*\n", text) if "\n\n" in text else text.split("\n")
        return [" ".join(p.split()) for p in parts if p.strip()], counts, first

    lines = [ln.strip() for ln in text.split("\n")]
    repeated = _repeated_heads(lines)
    kinds = [(_artefact(ln, repeated) if ln else None) for ln in lines]
    for ln, k in zip(lines, kinds):
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
            first.setdefault(k, ln)
    wrapped = _hard_wrapped(lines, kinds)

    # pieces of text and the separators between them: "line" (a line break), "blank" (blank
    # lines), "page" (a removed artefact, with any blank lines around it), "rule" (a hard break)
    pieces: list[str] = []
    seps: list[str] = []
    pending: str | None = None
    for ln, k in zip(lines, kinds):
        if not ln or k is not None:
            if pieces:
                kind = "rule" if k == "rule" else ("page" if k is not None else "blank")
                rank = {"line": 0, "blank": 1, "page": 2, "rule": 3}
                if pending is None or rank[kind] > rank[pending]:
                    pending = kind
            continue
        if pieces:
            seps.append(pending or "line")
        pieces.append(ln)
        pending = None
    if not pieces:
        return [], counts, first
    marked = any(s in ("blank", "rule") for s in seps) or (not wrapped and "line" in seps)

    paras: list[str] = [pieces[0]]
    joined_lines = joined_blocks = 0
    for sep, piece in zip(seps, pieces[1:]):
        prev = paras[-1]
        mid = ends_mid_sentence(prev)
        if sep == "rule":
            brk = True
        elif sep == "line":
            brk = not wrapped and not mid
            joined_lines += not brk
        elif sep == "page":
            brk = marked and not mid
        else:  # blank
            brk = not mid
            joined_blocks += not brk
        if brk:
            paras.append(piece)
        else:
            paras[-1] = _join(prev, piece)
    if joined_lines:
        counts["line_breaks_joined"] = joined_lines
    if joined_blocks:
        counts["blocks_joined"] = joined_blocks
    if group:
        out = []
        n_groups = 0
        for p in paras:
            # a word takes two characters with its separator: a shorter text cannot pass the bound
            if not marked or (max_unit_words and len(p) > 2 * max_unit_words
                              and count_words(p) > max_unit_words):
                g = _group_sentences(p, sentences_per_unit, max_unit_words)
                n_groups += len(g)
                out.extend(g)
            else:
                out.append(p)
        if n_groups:
            counts["sentence_groups"] = n_groups
        paras = out
    return paras, counts, first


def paragraphs(text: str, unwrap: str = "auto", sentences_per_unit: int = 3,
               max_unit_words: int = 400) -> list[str]:
    """Split a prepared text into paragraphs: the unit rule of :func:`layout`.

    Paragraphs come from blank lines, indented first lines (see :func:`prepare`)
    and, in text that is not hard-wrapped, line breaks after a complete sentence;
    hard-wrapped lines are unwrapped and page numbers and running heads removed.
    Where the source marks no paragraphs, groups of ``sentences_per_unit``
    sentences are the paragraphs, and a paragraph over ``max_unit_words`` words is
    cut into such groups. ``unwrap="never"``: blank lines or, without any, line
    breaks (the earlier rule: a hard-wrapped text gives its lines).
    Line breaks inside a paragraph become spaces; empty paragraphs are dropped.
    """
    return layout(text, unwrap, sentences_per_unit, max_unit_words)[0]


def corpus_layout(corpus: "Corpus", unwrap: str = "auto", sentences_per_unit: int = 3,
                  max_unit_words: int = 400) -> pd.DataFrame:
    """What the unit rule removed and joined in every available text of a corpus.

    Returns
    -------
    DataFrame
        ``doc_id, item, n, example``: one row per document and count of
        :func:`layout` above 0 (:data:`LAYOUT_ARTEFACTS`, :data:`LAYOUT_COUNTS`),
        ``example`` the first removed line of an artefact kind (empty for the
        other counts), in corpus order; the same shape as the annotations table
        (:func:`analysis.annotations.corpus_strip_annotations`).
    """
    rows = []
    for doc_id in corpus.doc_ids:
        t = corpus.texts.get(doc_id)
        if not t:
            continue
        _, counts, first = layout(t, unwrap, sentences_per_unit, max_unit_words)
        rows.extend((doc_id, k, int(v), first.get(k, "")) for k, v in counts.items())
    table = pd.DataFrame(rows, columns=["doc_id", "item", "n", "example"])
    table["n"] = table["n"].astype("int64")
    return table


# ---------------------------------------------------------------- sentences
_warned_punkt = False


@lru_cache(maxsize=1)
def _pretrained_punkt():
    import nltk

    for resource in ("tokenizers/punkt_tab/english/", "tokenizers/punkt/english.pickle"):
        try:
            nltk.data.find(resource)
        except LookupError:
            continue
        try:
            from nltk.tokenize import PunktTokenizer

            return PunktTokenizer("english")
        except Exception:  # pragma: no cover - older NLTK layouts
            return nltk.data.load(resource)
    return None


def train_punkt(texts: Iterable[str]):
    """Train an unsupervised Punkt sentence tokenizer (Kiss & Strunk 2006) on texts.

    Used when NLTK's pretrained ``punkt_tab`` model is not installed: Punkt learns
    abbreviations, collocations and sentence starters from the corpus itself.
    """
    from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = True
    for t in texts:
        trainer.train(t, finalize=False)
    trainer.finalize_training()
    return PunktSentenceTokenizer(trainer.get_params())


def sentence_tokenizer(train_texts: Iterable[str] | None = None):
    """The pretrained Punkt model if installed, else Punkt trained on ``train_texts``.

    Warns once, naming ``nltk.download('punkt_tab')``, when it falls back.
    """
    global _warned_punkt
    tok = _pretrained_punkt()
    if tok is not None:
        return tok
    if not _warned_punkt:
        warnings.warn(
            "NLTK's pretrained Punkt model is not installed; training Punkt on the corpus "
            "itself. Run nltk.download('punkt_tab') to use the pretrained English model.",
            stacklevel=2,
        )
        _warned_punkt = True
    texts = list(train_texts or [])
    return train_punkt(texts)


def sentences(text: str, tokenizer=None, unwrap: str = "auto") -> list[str]:
    """Split text into sentences, paragraph by paragraph.

    ``tokenizer`` is a Punkt tokenizer (see :func:`sentence_tokenizer`); by default
    the pretrained model or, when absent, Punkt trained on ``text`` itself. The
    paragraphs are those of :func:`layout` without sentence groups: a hard-wrapped
    text is unwrapped first, so a line break inside a sentence does not end it
    (quanteda's ``tokens(what = "sentence")`` likewise ignores line breaks).
    """
    paras = layout(text, unwrap, group=False)[0]
    if tokenizer is None:
        tokenizer = sentence_tokenizer(paras)
    return [s.strip() for p in paras for s in tokenizer.tokenize(p) if s.strip()]


# ------------------------------------------------------------------- tokens
@lru_cache(maxsize=1)
def _treebank():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def word_tokens(text: str, tokenizer=None) -> list[str]:
    """Raw word tokens with punctuation and case kept (NLTK's Treebank-style tokenizer).

    The text is split into sentences first (as ``nltk.word_tokenize`` does) so
    that sentence-final periods are separated. For style measures and KWIC.
    """
    tb = _treebank()
    return [t for s in sentences(text, tokenizer) for t in tb.tokenize(s)]


def tokenize(text: str, settings: TextSettings | None = None) -> list[str]:
    """Analysis tokens: words filtered per ``settings`` (see :func:`analysis.tokens.terms`).

    Words are letters with internal hyphens or apostrophes; digits are kept only
    with ``keep_numbers``. Then case folding, length filter, stopwords (NLTK's
    list plus ``extra_stopwords``) and optional Snowball stemming.
    """
    return terms(text, settings or TextSettings())


# -------------------------------------------------------------------- units

def make_units(
    corpus: "Corpus",
    kind: str = "paragraph",
    min_tokens: int = 0,
    window: int = 200,
    docvars: Iterable[str] = ("date", "year", "speaker"),
    unwrap: str = "auto",
    sentences_per_unit: int = 3,
    max_unit_words: int = 400,
) -> pd.DataFrame:
    """Split the available documents of a corpus into analysis units.

    Parameters
    ----------
    corpus : Corpus
    kind : {"paragraph", "document", "window"}
        Paragraphs (ids ``<doc_id>#p<N>``, N counting paragraphs from 1), whole
        documents (``<doc_id>#d``) or consecutive windows of ``window`` words
        (``<doc_id>#w<N>``).
    min_tokens : int
        Paragraphs with fewer running words are merged into the preceding
        paragraph (the first into the following one); the merged unit keeps the
        id of its first paragraph, so ids stay stable.
    docvars : iterable of str
        Document variables copied onto every unit.
    unwrap, sentences_per_unit, max_unit_words
        The unit rule (:func:`layout`; the ``text`` settings of the same names,
        :meth:`TextSettings.unit_rule`). Paragraph units are real paragraphs, or
        groups of sentences where the source marks none; never a line fragment.

    Returns
    -------
    DataFrame
        ``unit_id, doc_id, position, n_tokens, text`` (:data:`UNIT_COLUMNS`) and the
        docvars, checked by :func:`analysis.units.validate_units`. ``n_tokens``
        counts running words (:func:`analysis.tokens.count_words`).

    References
    ----------
    Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
    of textual data. *Journal of Open Source Software*, 3(30), 774 (``corpus_reshape``).
    """
    if kind not in ("paragraph", "document", "window"):
        raise UsageError(f"unit kind must be paragraph, document or window, not {kind!r}")
    rows = []
    for doc_id in corpus.doc_ids:
        text = corpus.texts.get(doc_id)
        if not text:
            continue
        if kind == "document":
            pieces = [("d", 0, " ".join(layout(text, unwrap, group=False)[0]))]
        elif kind == "window":
            words = " ".join(layout(text, unwrap, group=False)[0]).split()
            pieces = [
                (f"w{i // window + 1}", i // window, " ".join(words[i : i + window]))
                for i in range(0, len(words), window)
            ]
        else:
            paras = paragraphs(text, unwrap, sentences_per_unit, max_unit_words)
            pieces = [(f"p{i + 1}", i, p) for i, p in enumerate(paras)]
            if min_tokens > 0:
                pieces = _merge_short(pieces, min_tokens)
        for suffix, pos, t in pieces:
            rows.append((f"{doc_id}#{suffix}", doc_id, pos, count_words(t), t))
    units = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    units["position"] = units["position"].astype("int64")
    units["n_tokens"] = units["n_tokens"].astype("int64")
    dv = [c for c in docvars if c in corpus.docvars.columns]
    if dv:
        units = units.merge(corpus.docvars[["doc_id", *dv]], on="doc_id", how="left")
    return validate_units(units, what="make_units")


def units_report(corpus: "Corpus", settings: TextSettings | None = None) -> dict:
    """The paragraph units of a corpus as a run makes them, profiled (``r2p corpus info``).

    The available texts lose their transcript annotations (``settings.annotations``,
    :func:`analysis.annotations.corpus_strip_annotations`) and are cut by the unit
    rule (:meth:`TextSettings.unit_rule`, :func:`make_units`).

    Returns
    -------
    dict
        :func:`analysis.units.units_profile` (``units``, ``words_median``,
        ``words_p90``, ``words_max``, ``mid_sentence``, ``mid_sentence_share``),
        ``rule`` (the unit settings), ``annotations_removed`` and ``layout``:
        ``{item: (number, documents)}`` of :func:`corpus_layout`, artefacts first.
    """
    from analysis.annotations import corpus_strip_annotations
    from analysis.units import units_profile

    settings = settings or TextSettings()
    av, ann = corpus_strip_annotations(corpus.available(), settings.annotations)
    rule = settings.unit_rule()
    prof = units_profile(make_units(av, "paragraph", **rule))
    lay = corpus_layout(av, **rule)
    by = lay.groupby("item", sort=False).agg(n=("n", "sum"), docs=("doc_id", "nunique"))
    order = [k for k in (*LAYOUT_ARTEFACTS, *LAYOUT_COUNTS) if k in by.index]
    return {**prof, "rule": rule, "annotations_removed": int(ann["n_removed"].sum()),
            "layout": {k: (int(by.loc[k, "n"]), int(by.loc[k, "docs"])) for k in order}}


def as_units(data, kind: str = "paragraph", docvars: Iterable[str] = ("date", "year", "speaker"),
             what: str = "units") -> pd.DataFrame:
    """The units frame of ``data``: the one input type of the text statistics.

    Parameters
    ----------
    data : DataFrame or Corpus
        A units frame (from :func:`make_units`), validated and returned as is; or a
        corpus, reshaped with ``make_units(corpus.available(), kind, docvars=docvars)``.
    what : str
        How to name the frame in error messages.

    Raises
    ------
    analysis.errors.MissingColumnsError, analysis.errors.UsageError
        See :func:`analysis.units.validate_units`.
    """
    if isinstance(data, pd.DataFrame):
        return validate_units(data, what=what)
    if hasattr(data, "available") and hasattr(data, "texts") and hasattr(data, "docvars"):
        return make_units(data.available(), kind=kind, docvars=docvars)
    raise UsageError(f"{what}: expected a units DataFrame (analysis.text.make_units) or a "
                     f"Corpus, not {type(data).__name__}")


def _merge_short(pieces: list[tuple[str, int, str]], min_tokens: int):
    merged: list[list] = []
    carry: list | None = None
    for suffix, pos, t in pieces:
        if carry is not None:
            suffix, pos, t = carry[0], carry[1], carry[2] + " " + t
            carry = None
        if count_words(t) < min_tokens:
            if merged:
                merged[-1][2] += " " + t
            else:
                carry = [suffix, pos, t]
            continue
        merged.append([suffix, pos, t])
    if carry is not None:
        merged.append(carry)
    return [tuple(m) for m in merged]
