"""Main-text extraction from downloaded HTML pages and PDF documents.

HTML pages go through trafilatura (Barbaresi 2021), which strips navigation,
headers, breadcrumbs, sidebars and footers; when it rejects a page (returns
nothing or far too little) a BeautifulSoup fallback removes the page furniture
by element role and keeps the block with most paragraph text. PDF documents go
through pypdf in layout mode; running headers and footers (lines repeated at
the top or bottom of most pages), page numbers and UN document symbols or job
numbers are removed, words hyphenated at line ends are rejoined, and footnotes
(below the separator rule) are kept apart from the main text. Both end with
:func:`analysis.text.normalize`, the normalisation every loader applies.

The patterns that recognise page furniture are configuration (see
``corpus/sources.yml``, section ``extraction``), not code branches.

References
----------
Barbaresi, A. (2021). Trafilatura: A web scraping library and command-line
tool for text discovery and extraction. In *Proceedings of ACL-IJCNLP 2021:
System Demonstrations*, 122-131.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from analysis.errors import R2PError
from analysis.text import normalize
from analysis.tokens import LETTER, tokens, word_regex

__all__ = [
    "DEFAULT_HTML_DROP",
    "DEFAULT_PDF_COVER",
    "DEFAULT_PDF_FURNITURE",
    "Extraction",
    "ExtractionError",
    "dehyphenate",
    "extract",
    "extract_html",
    "extract_pdf",
    "html_visible_text",
    "sniff_kind",
]

#: Whole lines treated as PDF page furniture when they stand in the top or
#: bottom lines of a page (overridden by ``extraction.pdf_furniture`` in sources.yml).
DEFAULT_PDF_FURNITURE = [
    r"(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?",  # page numbers: "3", "Page 3 of 12", "3/12"
    r"[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]",  # "- 3 -"
    r"(?:[A-Z]{1,6}/)+[A-Z0-9.]+(?:/[A-Z0-9.]+)*(?:\s*[-\u2013\u2014]\s*(?:[A-Z]{1,6}/)+[A-Z0-9.]+(?:/[A-Z0-9.]+)*)*",
    r"\d{2}-\d{5}\s*(?:\([A-Z]\))?.*",  # job numbers "17-15678 (E) 150917"
    r"\*\d{7,}\*",  # bar-code text
    r"please recycle.*",
    r"united nations",
]

#: Whole paragraphs dropped from extracted HTML text: end markers, disclaimers and
#: the editorial lead-in ("Following are ... remarks ...:") of UN press releases
#: (overridden by ``extraction.html_drop_paragraphs``).
DEFAULT_HTML_DROP = [
    r"\*\s*\*{3}\s*\*",
    r"for information media\s*[.\-\u2013\u2014]*\s*not an official record\.?",
    r"(?:share|print|email)(?: this)?(?: page| article| story)?",
    r"following (?:is|are) (?:the )?.{0,200}?(?:remarks|statement|message|address|text).{0,200}:",
]

#: Whole lines of the masthead block at the top of a UN document's first page
#: (organ, symbol, distribution, date, original language, session, agenda item),
#: removed only there (overridden by ``extraction.pdf_cover`` in sources.yml).
DEFAULT_PDF_COVER = [
    r"united nations(?:\s+(?:[A-Z]{1,6}/)+\S+)?",
    r"(?:(?:general assembly|security council|economic and social council)\s*)+(?:distr\.?:.*|\d{1,2} \w+ \d{4})?",
    r"distr\.?:.*",
    r"\d{1,2} (?:january|february|march|april|may|june|july|august|september|october|november|december) \d{4}",
    r"original:\s*\w+",
    r"(?:[a-z]+(?:-[a-z]+)? (?:session|year)\s*)+",
    r"(?:provisional )?agenda items? [\d ,and()a-z]+",
    r"items? \d+.* of the preliminary list\*?",
]


class ExtractionError(R2PError, ValueError):
    """A download whose main text cannot be extracted (the message says why)."""


@dataclass
class Extraction:
    """The result of extracting one downloaded document.

    Attributes
    ----------
    text : str
        The main text, normalised, paragraphs separated by blank lines.
    footnotes : str
        Footnotes (PDF only), normalised, one per paragraph; ``""`` if none.
    extractor : str
        ``"trafilatura"``, ``"beautifulsoup"`` or ``"pypdf"``.
    extractor_version : str
        Version of the library that did the extraction.
    kind : str
        ``"html"``, ``"pdf"`` or ``"text"``.
    title : str or None
        Title found in the document (HTML ``<title>``/``<h1>``), for checks only.
    visible_text : str
        All visible text of the page (HTML), used to recognise error pages.
    n_pages : int or None
        Number of PDF pages.
    removed : list of str
        Distinct furniture lines removed (PDF), for the record.
    """

    text: str
    footnotes: str = ""
    extractor: str = ""
    extractor_version: str = ""
    kind: str = "html"
    title: str | None = None
    visible_text: str = ""
    n_pages: int | None = None
    removed: list[str] = field(default_factory=list)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


# ------------------------------------------------------------------ sniffing
def sniff_kind(content: bytes, content_type: str | None = None, url: str | None = None) -> str:
    """Tell what a download is: ``"pdf"``, ``"html"`` or ``"text"``.

    The bytes decide first (``%PDF-`` magic number, an HTML tag near the start),
    then the Content-Type header, then the URL's extension.
    """
    head = content[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    low = head[:512].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in low:
        return "html"
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct == "application/pdf":
        return "pdf"
    if ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ct == "text/plain":
        return "text"
    u = (url or "").lower().split("?")[0]
    if u.endswith(".pdf"):
        return "pdf"
    if u.endswith(".txt"):
        return "text"
    return "html"


def _decode(content: bytes | str, content_type: str | None = None) -> str:
    if isinstance(content, str):
        return content
    declared = []
    m = re.search(r"charset=[\"']?([\w-]+)", content_type or "", re.IGNORECASE)
    if m:  # the HTTP header wins
        declared.append(m.group(1))
    m = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", content[:4096], re.IGNORECASE)
    if m:  # then the page's own <meta charset>
        declared.append(m.group(1).decode("ascii"))
    # a page declared latin-1 is, in practice, windows-1252 (as browsers read it)
    declared = ["cp1252" if d.lower() in ("iso-8859-1", "latin-1", "latin1") else d for d in declared]
    for enc in [*declared, "utf-8"]:
        try:
            return content.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    return str(best) if best is not None else content.decode("utf-8", errors="replace")


# ------------------------------------------------------------------ HTML
_FURNITURE_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "iframe", "svg"]
_FURNITURE_ATTR = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|breadcrumbs?|sidebar|side-bar|footer|header|banner|cookie|consent|"
    r"share|social|newsletter|related|skip|language|languages|toolbar|pager|print|subscribe)([-_\s]|$)",
    re.IGNORECASE,
)
_BLOCKS = ["p", "li", "h1", "h2", "h3", "h4", "blockquote", "td", "pre"]


def _parse_html(page: str):
    import lxml.html

    try:
        return lxml.html.document_fromstring(page.encode("utf-8"))
    except (ValueError, lxml.etree.ParserError):
        return None


def html_visible_text(html: str | bytes, content_type: str | None = None) -> tuple[str | None, str]:
    """The ``<title>`` and all visible text of a page (scripts and styles dropped)."""
    tree = _parse_html(_decode(html, content_type))
    if tree is None:
        return None, ""
    titles = tree.xpath("//title")
    title = " ".join(titles[0].text_content().split()) if titles else None
    for el in tree.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    body = tree.find("body")
    return title or None, " ".join((body if body is not None else tree).text_content().split())


def _h1(page: str) -> str | None:
    tree = _parse_html(page)
    if tree is None:
        return None
    h1 = tree.xpath("//h1")
    return " ".join(h1[0].text_content().split()) if h1 else None


def _bs4_main_text(html: str) -> str:
    """Fallback extractor: drop furniture elements, keep the densest text block."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(_FURNITURE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:  # already removed with a parent
            continue
        attrs = " ".join([tag.get("id") or "", *(tag.get("class") or []), tag.get("role") or ""])
        if attrs.strip() and _FURNITURE_ATTR.search(attrs) and tag.name not in ("html", "body", "main", "article"):
            tag.decompose()
    candidates = soup.find_all(["main", "article"]) or []
    if not candidates:
        # the element whose direct <p> children hold the most text
        scores: Counter = Counter()
        for p in soup.find_all("p"):
            if p.parent is not None:
                scores[id(p.parent)] += len(p.get_text(" ", strip=True))
        by_id = {id(t): t for t in soup.find_all(True)}
        candidates = [by_id[i] for i, _ in scores.most_common(1) if i in by_id]
    root = max(candidates, key=lambda t: len(t.get_text(" ", strip=True))) if candidates else (soup.body or soup)
    paras: list[str] = []
    for el in root.find_all(_BLOCKS):
        if el.find(_BLOCKS):  # nested blocks are taken at the inner level
            continue
        t = " ".join(el.get_text(" ", strip=True).split())
        if t:
            paras.append(t)
    if not paras:
        paras = [" ".join(root.get_text(" ", strip=True).split())]
    return "\n\n".join(paras)


def _drop_leading_title(text: str, title: str | None) -> str:
    """Remove the page title when the extractor put it at the top of the text."""
    if not title:
        return text
    key = re.sub(r"\W+", " ", title).strip().lower()
    parts = text.split("\n\n")
    for i, para in enumerate(parts[:3]):
        p = re.sub(r"\W+", " ", para).strip().lower()
        if p and (p == key or (len(p) > 20 and key.startswith(p)) or (len(key) > 20 and p.startswith(key))):
            return "\n\n".join(parts[i + 1 :]).strip()
    return text


def extract_html(
    html: str | bytes,
    url: str | None = None,
    content_type: str | None = None,
    min_chars: int = 200,
    drop_paragraphs: list[str] | None = None,
) -> Extraction:
    """Extract the main text of an HTML page.

    Parameters
    ----------
    html : str or bytes
        The page as downloaded.
    url : str, optional
        Its URL (helps trafilatura resolve the page type).
    content_type : str, optional
        The Content-Type header, for the character set.
    min_chars : int
        Below this many characters trafilatura's result counts as a rejection
        and the BeautifulSoup fallback is tried.
    drop_paragraphs : list of str, optional
        Regular expressions for whole paragraphs to drop (press-release end
        markers and disclaimers); :data:`DEFAULT_HTML_DROP` when omitted.

    Returns
    -------
    Extraction
        ``extractor`` says which extractor produced the text.

    References
    ----------
    Barbaresi, A. (2021). Trafilatura: A web scraping library and command-line
    tool for text discovery and extraction. *ACL-IJCNLP 2021 Demos*, 122-131.
    """
    import trafilatura

    page = _decode(html, content_type)
    title, visible = html_visible_text(page)
    heading = _h1(page)
    main = trafilatura.extract(
        page,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
    )
    extractor, ver = "trafilatura", _version("trafilatura")
    if main:
        # trafilatura puts one block element per line
        main = "\n\n".join(line for line in main.split("\n") if line.strip())
    if not main or len(main) < min_chars:
        fallback = _bs4_main_text(page)
        if len(fallback) > len(main or ""):
            main, extractor, ver = fallback, "beautifulsoup", _version("beautifulsoup4")
    text = normalize(main or "")
    drops = [re.compile(rf"^(?:{p})$", re.IGNORECASE) for p in (drop_paragraphs or DEFAULT_HTML_DROP)]
    text = "\n\n".join(p for p in text.split("\n\n") if not any(d.match(p.strip()) for d in drops))
    # the page title ("Title | Site") or the first heading, when the extractor kept it
    for t in (heading, title.split(" | ")[0] if title else None, title):
        text = _drop_leading_title(text, t)
    return Extraction(
        text=text,
        extractor=extractor,
        extractor_version=ver,
        kind="html",
        title=title,
        visible_text=visible,
    )


# ------------------------------------------------------------------ PDF
_WS = re.compile(r"[ \t\u00a0]+")
_RULE = re.compile(r"^[_\u2014\u2013-]{5,}$")
_NUMBERED = re.compile(r"^(?:\d{1,3}\.|\([a-z]\)|[a-z]\)|\u2022|•)\s")
_HYPHEN_END = re.compile(rf"({LETTER}+)-$")


def _page_lines(page) -> list[str]:
    try:
        raw = page.extract_text(extraction_mode="layout")
    except Exception:  # noqa: BLE001 - layout mode is newer and stricter; plain mode always works
        raw = page.extract_text()
    return [_WS.sub(" ", line).strip() for line in (raw or "").split("\n")]


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def dehyphenate(lines: list[str], vocabulary: Counter | None = None) -> str:
    """Join the lines of one paragraph, undoing hyphenation at line ends.

    A line ending in ``word-`` followed by a line starting with a lower-case
    word is rejoined without the hyphen ("preven-" + "tion" -> "prevention"),
    unless the document itself spells the compound with a hyphen more often
    than without ("long-" + "term" stays "long-term"). Before a capital or a
    digit the hyphen stays and no space is added ("Secretary-" + "General").
    Any other line break becomes a space.

    Parameters
    ----------
    lines : list of str
        The lines of the paragraph, in order.
    vocabulary : collections.Counter, optional
        Lower-cased word counts of the whole document (the evidence for
        keeping or dropping a hyphen); built from ``lines`` when omitted.
    """
    if vocabulary is None:
        vocabulary = Counter(w.lower() for w in tokens(" ".join(lines), joiners="-"))
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not out:
            out = line
            continue
        m_end = _HYPHEN_END.search(out)
        m_start = word_regex(joiners="").match(line)  # the letters the line starts with
        if m_end and m_start and line[0].islower():
            head, tail = m_end.group(1), m_start.group(0)
            joined, hyphened = (head + tail).lower(), f"{head}-{tail}".lower()
            if vocabulary.get(hyphened, 0) > vocabulary.get(joined, 0):
                out = out + line  # keep the hyphen: a real compound
            else:
                out = out[:-1] + line
        elif m_end and line[0].isalnum():
            out = out + line  # "Secretary-" + "General", "COVID-" + "19": a compound
        else:
            out = f"{out} {line}"
    return out


def extract_pdf(data: bytes, furniture: list[str] | None = None, zone: int = 3,
                cover: list[str] | None = None, cover_zone: int = 12) -> Extraction:
    """Extract the main text and footnotes of a PDF document.

    Steps: per page, text in pypdf's layout mode (which keeps the vertical gaps
    that separate paragraphs); lines in the top and bottom ``zone`` lines of a
    page that repeat on at least half the pages (digits ignored) are running
    headers or footers and go; lines there matching a ``furniture`` pattern
    (page numbers, document symbols, job numbers) go too; lines below a
    separator rule (``__________``) are footnotes and are kept apart;
    paragraphs are rebuilt from blank lines and numbered-paragraph starts and
    hyphenation at line ends is undone (:func:`dehyphenate`).

    Parameters
    ----------
    data : bytes
        The PDF file as downloaded.
    furniture : list of str, optional
        Regular expressions matched against whole lines (case-insensitive);
        :data:`DEFAULT_PDF_FURNITURE` when omitted.
    zone : int
        How many lines at the top and bottom of a page can be furniture.
    cover : list of str, optional
        Regular expressions for the masthead lines of a UN document's first
        page (:data:`DEFAULT_PDF_COVER` when omitted), removed among its first
        ``cover_zone`` lines.
    cover_zone : int
        How many lines at the top of the first page can be masthead.

    Raises
    ------
    ExtractionError
        Not a PDF, a truncated PDF (no ``%%EOF`` marker), an encrypted PDF, or
        one without extractable text (a scan needs OCR first).
    """
    import pypdf

    if not data.lstrip()[:5] == b"%PDF-":
        raise ExtractionError("not a PDF file (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise ExtractionError(
            f"truncated PDF: {len(data)} bytes and no %%EOF marker at the end; the download was cut off"
        )
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("encrypted PDF; cannot extract its text")
        pages = [_page_lines(p) for p in reader.pages]
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise ExtractionError("PDF has no pages")

    patterns = [re.compile(rf"^(?:{p})$", re.IGNORECASE) for p in (furniture or DEFAULT_PDF_FURNITURE)]

    def zones(lines: list[str]) -> list[int]:
        idx = [i for i, line in enumerate(lines) if line]
        return idx[:zone] + idx[-zone:] if len(idx) > 2 * zone else idx

    # running headers/footers: the same line (digits ignored) in the zone of many pages
    counts: Counter = Counter()
    for lines in pages:
        counts.update({_furniture_key(lines[i]) for i in zones(lines)})
    threshold = max(2, (len(pages) + 1) // 2)
    running = {k for k, c in counts.items() if c >= threshold} if len(pages) > 1 else set()

    cover_patterns = [re.compile(rf"^(?:{p})$", re.IGNORECASE) for p in (cover or DEFAULT_PDF_COVER)]
    removed: list[str] = []
    body_pages: list[list[str]] = []
    notes: list[str] = []
    for k, lines in enumerate(pages):
        lines = list(lines)
        if k == 0:  # the masthead: matching lines at the top of page 1, up to the first body line
            for i in [i for i, line in enumerate(lines) if line][:cover_zone]:
                if any(p.match(lines[i]) for p in cover_patterns + patterns):
                    removed.append(lines[i])
                    lines[i] = ""
                elif _furniture_key(lines[i]) not in running:
                    break
        for i in zones(lines):
            line = lines[i]
            if _furniture_key(line) in running or any(p.match(line) for p in patterns):
                removed.append(line)
                lines[i] = ""
        rule = max((i for i, line in enumerate(lines) if _RULE.match(line)), default=None)
        if rule is not None:
            notes.extend(line for line in lines[rule + 1 :] if line)
            lines = lines[:rule]
        body_pages.append(lines)

    # paragraphs: blank lines (kept by layout mode), numbered-paragraph starts, and
    # (for text without blank lines, as plain mode gives) a short line ending a sentence
    widths = sorted(len(line) for lines in body_pages for line in lines if line)
    full = widths[int(0.9 * (len(widths) - 1))] if widths else 0  # the width of a full line
    paras: list[list[str]] = [[]]
    for k, lines in enumerate(body_pages):
        # trim blank margins so a page break does not split a paragraph
        while lines and not lines[0]:
            lines = lines[1:]
        while lines and not lines[-1]:
            lines = lines[:-1]
        for line in lines:
            if not line:
                if paras[-1]:
                    paras.append([])
            elif _NUMBERED.match(line) and paras[-1]:
                paras.append([line])
            else:
                paras[-1].append(line)
                if line.endswith((".", "!", "?", ":", '"', "'")) and len(line) < 0.85 * full:
                    paras.append([])
    vocab = Counter(
        w.lower() for lines in body_pages for line in lines for w in tokens(line, joiners="-")
    )
    text = "\n\n".join(dehyphenate(p, vocab) for p in paras if p)
    # footnotes: a new note starts with its number
    note_paras: list[list[str]] = []
    for line in notes:
        if re.match(r"^\d{1,3}\s", line) or not note_paras:
            note_paras.append([line])
        else:
            note_paras[-1].append(line)
    footnotes = "\n\n".join(dehyphenate(p, vocab) for p in note_paras)
    # footnote calls glued to a word or punctuation ("as ever.1") go with their notes
    numbers = {m.group(1) for p in note_paras if (m := re.match(r"^(\d{1,3})\s", p[0]))}
    if numbers:
        alt = "|".join(sorted(numbers, key=len, reverse=True))
        text = re.sub(rf"(?<=[a-z.,;:)'\"\]])(?:{alt})(?=[\s.,;:]|$)", "", text)
    if not text.strip():
        raise ExtractionError(
            f"PDF with {len(pages)} page(s) but no extractable text (a scanned document needs OCR)"
        )
    return Extraction(
        text=normalize(text),
        footnotes=normalize(footnotes),
        extractor="pypdf",
        extractor_version=_version("pypdf"),
        kind="pdf",
        n_pages=len(pages),
        removed=sorted(set(removed)),
    )


# ------------------------------------------------------------------ dispatch
def extract(
    content: bytes,
    content_type: str | None = None,
    url: str | None = None,
    pdf_furniture: list[str] | None = None,
    min_chars: int = 200,
    pdf_cover: list[str] | None = None,
    html_drop: list[str] | None = None,
) -> Extraction:
    """Extract the main text of a download, whatever its kind (see :func:`sniff_kind`).

    Raises
    ------
    ExtractionError
        When the download cannot be read (the message says why).
    """
    kind = sniff_kind(content, content_type, url)
    if kind == "pdf":
        return extract_pdf(content, furniture=pdf_furniture, cover=pdf_cover)
    if kind == "text":
        return Extraction(
            text=normalize(_decode(content, content_type)),
            extractor="plain",
            extractor_version="",
            kind="text",
            visible_text=_decode(content, content_type),
        )
    return extract_html(content, url=url, content_type=content_type, min_chars=min_chars, drop_paragraphs=html_drop)
