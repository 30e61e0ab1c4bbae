"""Extraction of main text from UN-style HTML pages and PDF reports (analysis.acquire.extract)."""

from __future__ import annotations

import difflib
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpfixtures as hf

from analysis.acquire.extract import (
    ExtractionError,
    dehyphenate,
    extract,
    extract_html,
    extract_pdf,
    sniff_kind,
)
from analysis.text import normalize, prepare


def similarity(a: str, b: str) -> float:
    """Token-level difflib ratio of the normalised texts (words and punctuation marks)."""
    ta, tb = (re.findall(r"\w+|[^\w\s]", normalize(t)) for t in (a, b))
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


@pytest.fixture(scope="module")
def anchor() -> str:
    return hf.anchor_body()


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return hf.report_pdf()


# ------------------------------------------------------------------ HTML
def test_html_statement_page_gives_the_anchor_text(anchor):
    ext = extract_html(hf.statement_html().encode("utf-8"), content_type="text/html; charset=utf-8")
    # the threshold discriminates: the whole visible page (furniture included) fails it
    assert similarity(ext.visible_text, anchor) < 0.95
    assert ext.extractor == "trafilatura"
    assert ext.kind == "html"
    assert similarity(ext.text, anchor) >= 0.98
    # the loaders' preparation changes nothing further: no header left behind
    assert similarity(prepare(ext.text), anchor) >= 0.98
    for furniture in hf.HTML_FURNITURE:
        assert furniture.lower() not in ext.text.lower(), furniture
    assert "United Nations Secretary-General" not in ext.text
    assert "dataLayer" not in ext.text and "font-family" not in ext.text
    # paragraphs survive as blank-line separated blocks
    assert ext.text.split("\n\n")[0] == hf.anchor_paragraphs()[0]
    assert len(ext.text.split("\n\n")) == len(hf.anchor_paragraphs())


def test_html_press_release_layout(anchor):
    ext = extract_html(hf.press_release_html())
    assert similarity(ext.text, anchor) >= 0.98
    for furniture in hf.PRESS_FURNITURE:
        assert furniture.lower() not in ext.text.lower(), furniture
    assert "Calls for Accountability" not in ext.text  # the headline is metadata, not text
    assert not ext.text.startswith("Following are")  # the press office's lead-in is not the speech


def test_html_fallback_when_trafilatura_rejects_the_page(anchor, monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    ext = extract_html(hf.statement_html())
    assert ext.extractor == "beautifulsoup"
    assert similarity(ext.text, anchor) >= 0.98
    for furniture in hf.HTML_FURNITURE:
        assert furniture.lower() not in ext.text.lower(), furniture


def test_html_character_set_from_meta_tag(anchor):
    page = hf.statement_html(paragraphs=["\u201cNever again\u201d \u2013 the Secretary\u2011General\u2019s words."] * 3)
    page = page.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    page = page.replace("\u2011", "-")
    data = page.encode("cp1252", errors="replace")
    ext = extract_html(data, content_type="text/html")  # no charset in the header
    assert "\"Never again\" - the Secretary-General's words." in ext.text


def test_html_title_and_visible_text_of_access_denied_page():
    ext = extract_html(hf.ACCESS_DENIED_HTML)
    assert ext.title == "Access Denied"
    assert "permission" in ext.visible_text
    assert len(ext.text) < 300


# ------------------------------------------------------------------ PDF
def test_pdf_fixture_really_has_the_furniture(pdf_bytes):
    """Guard: the fixture must contain what the extractor is meant to remove."""
    import io

    import pypdf

    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages]
    assert len(pages) >= 2
    raw = "\n".join(pages)
    assert similarity(raw, hf.anchor_body()) < 0.96  # naive extraction does not pass the test below
    for f in hf.PDF_FURNITURE[:4]:
        assert f in raw, f
    assert re.search(r"[a-z]-\n[a-z]", raw), "fixture should hyphenate words at line ends"
    assert hf.PDF_FOOTNOTE in raw


def test_pdf_report_gives_the_anchor_text_without_furniture(pdf_bytes, anchor):
    ext = extract_pdf(pdf_bytes)
    assert ext.extractor == "pypdf" and ext.n_pages >= 2
    assert similarity(ext.text, anchor) >= 0.98
    for furniture in hf.PDF_FURNITURE:
        assert furniture not in ext.text, furniture
    assert not re.search(r"(?m)^\s*(?:Page\s+)?\d+(?:\s+of\s+\d+)?\s*$", ext.text), "page numbers left"
    assert "(E)" not in ext.text
    # footnotes kept apart, footnote call removed from the sentence
    assert hf.PDF_FOOTNOTE in ext.footnotes
    assert hf.PDF_FOOTNOTE not in ext.text
    assert "as strong as ever." in ext.text and "ever.1" not in ext.text
    # hyphenated line breaks are undone: every word of the text is a word of the anchor
    anchor_words = set(re.findall(r"[^\W\d_]+", anchor.lower()))
    stray = set(re.findall(r"[^\W\d_]+", ext.text.lower())) - anchor_words
    assert not stray, stray
    # paragraph structure kept (a paragraph running over the page break is one paragraph)
    assert ext.text.split("\n\n") == hf.anchor_paragraphs()


def test_pdf_truncated_is_refused(pdf_bytes):
    with pytest.raises(ExtractionError, match="truncated PDF"):
        extract_pdf(pdf_bytes[: len(pdf_bytes) // 2])


def test_pdf_not_a_pdf_is_refused():
    with pytest.raises(ExtractionError, match="not a PDF"):
        extract_pdf(b"<html>nope</html>")


def test_pdf_without_text_is_refused():
    import io

    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_page()
    buf = io.BytesIO()
    pdf.output(buf)
    with pytest.raises(ExtractionError, match="no extractable text"):
        extract_pdf(buf.getvalue())


# ------------------------------------------------------------------ pieces
def test_dehyphenate_uses_document_evidence():
    # "preven-tion": the joined form is the only one attested -> join
    assert dehyphenate(["efforts at preven-", "tion of atrocities"]) == "efforts at prevention of atrocities"
    # "long-term" is how the document spells it -> keep the hyphen
    vocab = Counter({"long-term": 3, "longterm": 0})
    assert dehyphenate(["a long-", "term commitment"], vocab) == "a long-term commitment"
    # a capitalised continuation is a compound name, not a broken word
    assert dehyphenate(["the Secretary-", "General said"]) == "the Secretary-General said"
    assert dehyphenate(["one line", "and another"]) == "one line and another"


@pytest.mark.parametrize(
    "content, ctype, url, kind",
    [
        (b"%PDF-1.7\n...", None, None, "pdf"),
        (b"  <!DOCTYPE html><html>", None, None, "html"),
        (b"some bytes", "application/pdf", None, "pdf"),
        (b"plain words", "text/plain; charset=utf-8", None, "text"),
        (b"plain words", None, "http://x.org/a.pdf?download=1", "pdf"),
        (b"<p>hi</p>", "text/html", None, "html"),
    ],
)
def test_sniff_kind(content, ctype, url, kind):
    assert sniff_kind(content, ctype, url) == kind


def test_extract_dispatches_on_content(pdf_bytes):
    assert extract(pdf_bytes, "application/octet-stream").extractor == "pypdf"
    assert extract(hf.statement_html().encode(), "text/html").kind == "html"
    t = extract("Caf\u00e9 \u2013 text".encode("utf-8"), "text/plain; charset=utf-8")
    assert t.kind == "text" and t.text == "Caf\u00e9 - text"


def test_pdf_plain_mode_fallback_keeps_paragraphs(pdf_bytes, anchor, monkeypatch):
    """When pypdf's layout mode fails, plain mode (no blank lines) still gives the paragraphs."""
    import pypdf

    plain = pypdf.PageObject.extract_text

    def no_layout(self, *args, **kwargs):
        if kwargs.get("extraction_mode") == "layout":
            raise ValueError("layout mode unavailable")
        return plain(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", no_layout)
    ext = extract_pdf(pdf_bytes)
    assert similarity(ext.text, anchor) >= 0.98
    for furniture in hf.PDF_FURNITURE:
        assert furniture not in ext.text, furniture
    got, want = ext.text.split("\n\n"), hf.anchor_paragraphs()
    # a heuristic: a paragraph whose last line is nearly full merges with the next one
    assert len(got) >= 0.85 * len(want)
    assert sum(p in want for p in got) >= 0.7 * len(want)
    assert all(any(w in p for w in want) for p in got)  # each block is made of whole paragraphs
