"""Text preparation: normalisation, UN header removal, sentences and tokens (strings in, strings out).

The layout pass of the unit rule (unwrapping, page numbers, sentence groups) is
:mod:`analysis.layout`; its names are re-exported here.

Every choice made here is recorded in :class:`TextSettings`, which the pipeline
writes to ``run.json`` so a run can be reproduced exactly. Words and terms come
from the one tokens layer, :mod:`analysis.tokens` (its names ``WORD_PATTERN``,
``count_words``, ``stopwords`` are re-exported here). A corpus becomes units in
:mod:`analysis.units` (:func:`analysis.units.make_units`), which builds on this
module; this module never imports a corpus.

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
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import ClassVar

from analysis.annotations import DEFAULT_ANNOTATIONS
from analysis.layout import LAYOUT_ARTEFACTS, LAYOUT_COUNTS, layout, paragraphs
from analysis.settings import StageSettings, setting
from analysis.tokens import WORD_OR_NUMBER_PATTERN, WORD_PATTERN, count_words, stopwords, terms

__all__ = [
    "LAYOUT_ARTEFACTS",
    "LAYOUT_COUNTS",
    "WORD_OR_NUMBER_PATTERN",
    "WORD_PATTERN",
    "TextSettings",
    "count_words",
    "layout",
    "normalize",
    "paragraphs",
    "prepare",
    "sentences",
    "stopwords",
    "strip_un_header",
    "tokenize",
    "train_punkt",
    "word_tokens",
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
        """The settings that decide the paragraph units (keyword arguments of :func:`analysis.units.make_units`)."""
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
    def from_dict(cls, d: dict) -> TextSettings:
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
