"""The unit rule's layout pass: real paragraphs from real texts.

Texts extracted from PDF and typed transcripts carry layout: hard line breaks
inside sentences (a third of the UN General Debate speeches are wrapped every
60-70 characters with no blank lines), page numbers, UN job numbers and running
heads between the lines, and no paragraph marks at all in others. :func:`layout`
unwraps hard-wrapped text, removes and counts those artefacts, keeps the
paragraphs the source marks (blank lines, indented first lines, rules) and,
where the source marks none, groups sentences into units of a declared size.
:mod:`analysis.units` builds units on it (``text.unwrap``,
``text.sentences_per_unit``, ``text.max_unit_words``); :func:`analysis.units.corpus_layout`
reports what it did per document, as ``r2p corpus info`` shows.
"""

from __future__ import annotations

import re

from analysis.errors import UsageError
from analysis.tokens import count_words

__all__ = ["LAYOUT_ARTEFACTS", "LAYOUT_COUNTS", "SENTENCE_FINAL", "ends_mid_sentence", "layout", "paragraphs"]


#: the characters that end a sentence (full stop, question and exclamation marks, ellipsis)
SENTENCE_FINAL = ".!?\u2026"
#: what may follow a sentence's final character and still close the sentence: closing quotes
#: and brackets, and Markdown emphasis (``**Thank you.**``)
_CLOSERS = "\"')]}\u201d\u2019\u00bb*_ "


def ends_mid_sentence(text: str) -> bool:
    """Whether a unit's text ends in the middle of a sentence.

    Definition: after dropping trailing white space and the closing characters
    ``" ' ) ] } \u201d \u2019 \u00bb * _``, the last character is not one of
    :data:`SENTENCE_FINAL` (``. ! ? \u2026``). So ``'...aside from 25'``, ``'and the'``,
    ``'Mr. President,'``, a heading (``'Climate change'``) and ``'as follows:'`` end
    mid-sentence; ``'We will act.'``, ``'"Never again."'`` and ``'(Applause.)'`` do not.
    An empty text does not (it has no sentence).

    This is the one definition used by ``r2p corpus info``, the unit rule of
    :func:`analysis.text.paragraphs` (a block that ends mid-sentence is joined to
    the next) and the tests.
    """
    t = text.rstrip(_CLOSERS + "\n\t")
    return bool(t) and t[-1] not in SENTENCE_FINAL


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
    (:func:`ends_mid_sentence`) is at least a half, over at least
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
_ABBREVIATIONS = frozenset(["mr", "mrs", "ms", "mme", "mm", "dr", "prof", "st", "no", "nos", "art", "arts", "para", "paras", "p", "pp", "vol", "vols", "fig", "figs", "e.g", "i.e", "cf", "al", "vs", "v", "gen", "sen", "rep", "gov", "hon", "amb", "jr", "sr", "messrs", "mt", "ft", "inc", "co", "corp", "ltd", "dept", "sect", "sec", "ch", "rev", "h.e", "h.r.h", "h.m", "op", "ibid", "approx", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])


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
       (:func:`ends_mid_sentence`) is a space too.
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
