"""Benchmark: corpus acquisition -- extraction quality and speed side by side with peers.

Fixtures: the test fixtures of ``tests/httpfixtures.py`` (a UN statement page built
around the anchor speech; a multi-page PDF of it with running headers, page numbers,
symbols, hyphenated line breaks and a footnote), scaled up by repeating the speech
``--scale`` times so the timings are not dominated by start-up.

Extraction is compared with peers on the same bytes:
HTML -- ours (``analysis.extract.extract_html``), plain trafilatura, jusText, and
BeautifulSoup's ``get_text``; PDF -- ours (``extract_pdf``), pypdf ``extract_text``
in plain and layout mode. Quality is the token-level difflib ratio to the anchor
(normalised) and the number of page-furniture strings leaked into the text
(on the repeated text, difflib can align a copy with the wrong copy once the
texts diverge, so a peer's low similarity is a lower bound, not an estimate).
Throughput of the whole fetch (HTTP + extraction + checks + lock) is measured
against a local server with the rate limit off.

Targets (issue #3): our similarity >= 0.98 with no furniture leaked, for both
kinds; HTML and PDF extraction within 3x the time of the fastest peer that
leaks no furniture (of any peer when none is clean); a local fetch under 0.5 s
per document (one-time imports warmed up first; the fixture server adds about
45 ms per request).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_fetch.py [--quick] [--smoke]``
(``--smoke`` or ``R2P_BENCH_SMOKE=1``: the speech once, one repeat, two documents fetched;
the quality targets and the fetch's success decide the exit status, the times do not).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))

import httpfixtures as hf
from _smoke import add_smoke_flag

from analysis.acquire.extract import extract_html, extract_pdf
from analysis.text import normalize


def similarity(a: str, b: str) -> float:
    ta, tb = (re.findall(r"\w+|[^\w\s]", normalize(t)) for t in (a, b))
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def timed(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    ap.add_argument("--scale", type=int, default=None, help="repeat the anchor speech this many times")
    add_smoke_flag(ap)
    args = ap.parse_args()
    scale = args.scale or (1 if args.smoke else 2 if args.quick else 8)
    repeat = 1 if args.smoke else 2 if args.quick else 5

    paras = hf.anchor_paragraphs() * scale
    reference = "\n\n".join(paras)
    page = hf.statement_html(paragraphs=paras)
    pdf = hf.report_pdf(paragraphs=paras)
    import pypdf

    n_pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    print(f"inputs: HTML {len(page) / 1e3:.0f} kB; PDF {n_pages} pages, {len(pdf) / 1e3:.0f} kB; "
          f"reference {len(reference.split())} words")

    def html_ours():
        return extract_html(page).text

    def html_trafilatura():
        import trafilatura

        return trafilatura.extract(page) or ""

    def html_justext():
        import justext

        ps = justext.justext(page.encode("utf-8"), justext.get_stoplist("English"))
        return "\n\n".join(p.text for p in ps if not p.is_boilerplate)

    def html_bs4():
        from bs4 import BeautifulSoup

        return BeautifulSoup(page, "lxml").get_text("\n")

    def pdf_ours():
        return extract_pdf(pdf).text

    def pdf_plain():
        return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)

    def pdf_layout():
        return "\n".join(p.extract_text(extraction_mode="layout") for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)

    furniture = hf.HTML_FURNITURE + hf.PDF_FURNITURE
    rows = []
    for kind, fns in (("html", [("ours", html_ours), ("trafilatura", html_trafilatura),
                                ("jusText", html_justext), ("bs4 get_text", html_bs4)]),
                      ("pdf", [("ours", pdf_ours), ("pypdf plain", pdf_plain), ("pypdf layout", pdf_layout)])):
        for name, fn in fns:
            try:
                secs, text = timed(fn, repeat)
            except Exception as exc:  # noqa: BLE001 - a peer missing is reported, not fatal
                print(f"{kind:5s} {name:14s} unavailable: {exc}")
                continue
            leaked = sum(f in text for f in furniture)
            rows.append((kind, name, secs, similarity(text, reference), leaked))
    print(f"{'kind':5s} {'extractor':14s} {'seconds':>8s} {'similarity':>10s} {'furniture':>9s}")
    for kind, name, secs, s, leaked in rows:
        print(f"{kind:5s} {name:14s} {secs:8.3f} {s:10.4f} {leaked:9d}")

    # the whole fetch against a local server, rate limit off
    from analysis.acquire.fetch import fetch_corpus, load_config

    n_docs = 2 if args.smoke else 4 if args.quick else 12
    body_html = hf.statement_html().encode()
    body_pdf = hf.report_pdf()
    routes = {f"/d{i}": hf.Response(body=body_html if i % 2 else body_pdf,
                                   content_type="text/html" if i % 2 else "application/pdf")
              for i in range(n_docs)}
    import pandas as pd

    with hf.FixtureServer(routes) as srv, tempfile.TemporaryDirectory() as tmp:
        rows_m = [{"doc_id": f"d{i}", "date": "2017-09-06", "year": 2017, "title": hf.ANCHOR_TITLE,
                   "url": srv.url(f"/d{i}"), "text_file": f"texts/d{i}.txt", "sha256": "",
                   "source_kind": "html" if i % 2 else "pdf"} for i in range(n_docs)]
        from analysis.text import stopwords

        stopwords("english")  # one-time import of NLTK, not part of the per-document cost
        Path(tmp, "texts").mkdir()
        pd.DataFrame(rows_m).to_csv(Path(tmp, "manifest.csv"), index=False)
        t = time.perf_counter()
        rep = fetch_corpus(tmp, config=load_config(min_interval_seconds=0.0))
        fetch_secs = time.perf_counter() - t
    per_doc = fetch_secs / n_docs
    print(f"fetch: {n_docs} documents (half HTML, half PDF) in {fetch_secs:.2f} s = {per_doc:.3f} s/document; "
          f"{rep.counts()}")

    ok = True
    unjudged = " (smoke mode: only quality and success are judged, not the time)" if args.smoke else ""
    for kind in ("html", "pdf"):
        ours = next(r for r in rows if r[0] == kind and r[1] == "ours")
        clean = [r for r in rows if r[0] == kind and r[1] != "ours" and r[4] == 0]
        fastest = min((r[2] for r in clean), default=min((r[2] for r in rows if r[0] == kind and r[1] != "ours"), default=float("inf")))
        good = ours[3] >= 0.98 and ours[4] == 0 and (args.smoke or ours[2] <= 3 * fastest)
        ok &= good
        print(f"target {kind}: similarity {ours[3]:.4f} >= 0.98, furniture {ours[4]} == 0, time {ours[2]:.3f} s "
              f"<= 3 x fastest furniture-free peer ({fastest:.3f} s): {'met' if good else 'NOT met'}{unjudged}")
    good = (args.smoke or per_doc < 0.5) and rep.ok
    ok &= good
    print(f"target fetch: {per_doc:.3f} s/document < 0.5 s: {'met' if good else 'NOT met'}{unjudged}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
