"""Corpus acquisition against a local HTTP server (analysis.acquire).

Never touches the network beyond 127.0.0.1 and never writes into the
repository's corpus/: every corpus here is a temporary folder whose manifest
points at the fixture server of tests/httpfixtures.py.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import os
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpfixtures as hf
from httpfixtures import FixtureServer, Response

from analysis.acquire.fetch import (
    FetchConfig,
    accept_new,
    candidate_urls,
    fetch_corpus,
    load_config,
    read_lock,
    update_manifest_sha256,
    verify_lock,
)
from analysis.text import normalize

MANIFEST_COLUMNS = [
    "doc_id", "date", "year", "speaker", "role", "genre", "venue", "title", "doc_symbol", "url",
    "url_override", "confirmed", "notes", "text_file", "sha256", "source_kind", "anchor",
]
REPO_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def fast_config(**kw) -> FetchConfig:
    base = {"min_interval_seconds": 0.0, "timeout_seconds": 1.0, "max_attempts": 2, "backoff_seconds": 0.01,
            "max_backoff_seconds": 0.05}
    base.update(kw)
    return load_config(**base)


def row(doc_id: str, url: str = "", kind: str = "html", title: str = hf.ANCHOR_TITLE, **kw) -> dict:
    r = {c: "" for c in MANIFEST_COLUMNS}
    r.update(doc_id=doc_id, date="2017-09-06", year="2017", speaker="António Guterres", role="SG",
             genre="remarks", venue="GA informal dialogue", title=title, url=url, confirmed="yes",
             notes='a note, with "quotes"', text_file=f"texts/{doc_id}.txt", source_kind=kind, anchor="false")
    r.update(kw)
    return r


def make_corpus(folder: Path, rows: list[dict]) -> Path:
    (folder / "texts").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=MANIFEST_COLUMNS).to_csv(folder / "manifest.csv", index=False)
    return folder


def sim(a: str, b: str) -> float:
    """Token-level difflib ratio of the normalised texts (words and punctuation marks)."""
    ta, tb = (re.findall(r"\w+|[^\w\s]", normalize(t)) for t in (a, b))
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


@pytest.fixture(scope="module")
def server():
    with FixtureServer(hf.standard_routes()) as srv:
        yield srv


@pytest.fixture(scope="module")
def anchor() -> str:
    return hf.anchor_body()


@pytest.fixture(autouse=True)
def repo_corpus_untouched():
    """No test may write into the repository's corpus/."""
    def snapshot():
        return {p: p.stat().st_mtime_ns for p in REPO_CORPUS.rglob("*") if p.is_file()}

    before = snapshot()
    yield
    assert snapshot() == before


# ------------------------------------------------------------------ the happy path
def test_fetch_html_and_pdf(tmp_path, server, anchor):
    rows = [row("a_html", server.url("/sg/statement/anchor")),
            row("b_pdf", server.url("/docs/report.pdf"), kind="pdf")]
    cdir = make_corpus(tmp_path, rows)
    manifest_before = (cdir / "manifest.csv").read_bytes()
    rep = fetch_corpus(cdir, config=fast_config())
    assert rep.ok, rep.summary()
    assert [r.status for r in rep] == ["fetched", "fetched"]
    assert [r.extractor for r in rep] == ["trafilatura", "pypdf"]

    for doc_id in ("a_html", "b_pdf"):
        text = (cdir / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8")
        assert sim(text, anchor) >= 0.98, doc_id
        for f in hf.HTML_FURNITURE + hf.PDF_FURNITURE:
            assert f not in text, (doc_id, f)
    assert hf.PDF_FOOTNOTE in (cdir / "footnotes" / "b_pdf.txt").read_text(encoding="utf-8")

    # raw downloads kept byte for byte, named by their hash
    lock = read_lock(cdir).set_index("doc_id")
    pdf_raw = server.routes["/docs/report.pdf"].body
    assert (cdir / lock.loc["b_pdf", "raw_file"]).read_bytes() == pdf_raw
    assert lock.loc["b_pdf", "raw_sha256"] == hashlib.sha256(pdf_raw).hexdigest()
    for doc_id in ("a_html", "b_pdf"):
        data = (cdir / "texts" / f"{doc_id}.txt").read_bytes()
        assert lock.loc[doc_id, "text_sha256"] == hashlib.sha256(data).hexdigest()
        assert lock.loc[doc_id, "retrieved_at"].endswith("Z")
        assert lock.loc[doc_id, "extractor_version"]
    assert lock.loc["a_html", "url"] == server.url("/sg/statement/anchor")

    # the manifest gains the sha256 of each text and nothing else changes
    after = list(csv.reader(io.StringIO((cdir / "manifest.csv").read_text(encoding="utf-8"))))
    before = list(csv.reader(io.StringIO(manifest_before.decode("utf-8"))))
    i = before[0].index("sha256")
    for b, a in zip(before, after):
        assert b[:i] + b[i + 1:] == a[:i] + a[i + 1:]
    assert [a[i] for a in after[1:]] == [lock.loc[d, "text_sha256"] for d in ("a_html", "b_pdf")]

    assert [p for p in verify_lock(cdir) if p.severity == "error"] == []
    # a descriptive user agent on every request
    agents = {h.headers.get("User-Agent", "") for h in server.hits}
    assert all(a.startswith("r2p-analysis/") for a in agents), agents


def test_fetched_corpus_loads(tmp_path, server, anchor):
    """Fetched texts are what the corpus loader reads."""
    from analysis.corpus import load_corpus

    cdir = make_corpus(tmp_path, [row("a_html", server.url("/sg/statement/anchor"))])
    fetch_corpus(cdir, config=fast_config())
    c = load_corpus(cdir)
    assert sim(c.texts["a_html"], anchor) >= 0.98


# ------------------------------------------------------------------ failures
def test_failures_are_reported_per_row(tmp_path, server):
    rows = [
        row("c_404", server.url("/gone")),
        row("d_flaky", server.url("/flaky")),
        row("e_slow", server.url("/slow")),
        row("f_denied", server.url("/denied")),
        row("g_truncated", server.url("/truncated.pdf"), kind="pdf"),
        row("h_robots", server.url("/private/page")),
        row("i_nourl", ""),
    ]
    cdir = make_corpus(tmp_path, rows)
    before = server.count("/flaky")
    rep = fetch_corpus(cdir, config=fast_config())
    by = {r.doc_id: r for r in rep}
    assert not rep.ok
    assert by["d_flaky"].status == "fetched" and by["d_flaky"].attempts == 2
    assert server.count("/flaky") - before == 2  # one 500, then success on retry
    assert "HTTP 404" in by["c_404"].reason and "url_override" in by["c_404"].reason
    assert "timed out" in by["e_slow"].reason and "try again later" in by["e_slow"].reason
    assert "error page served with status 200" in by["f_denied"].reason
    assert "Access Denied" in by["f_denied"].reason
    assert "truncated PDF" in by["g_truncated"].reason
    assert "robots.txt" in by["h_robots"].reason
    assert "no URL" in by["i_nourl"].reason
    assert {r.doc_id for r in rep.failed} == {"c_404", "e_slow", "f_denied", "g_truncated", "h_robots", "i_nourl"}
    for r in rep.failed:
        assert not (cdir / "texts" / f"{r.doc_id}.txt").exists()
    frame = rep.to_frame()
    assert list(frame.columns[:4]) == ["doc_id", "status", "url", "reason"]
    assert (frame["status"] == "failed").sum() == 6
    summary = rep.summary()
    assert "fetched: 1" in summary and "failed: 6" in summary and "c_404" in summary
    # the lock records only what was fetched
    assert list(read_lock(cdir)["doc_id"]) == ["d_flaky"]


def test_refuses_short_and_off_topic_pages(tmp_path):
    off_topic = hf.statement_html(
        title="Budget appropriations for the biennium",
        paragraphs=[("The Fifth Committee approved appropriations for conference servicing and "
                     "facilities management in the coming fiscal period, including maintenance.")] * 12,
    )
    routes = {
        "/short": Response(body=b"<html><head><title>Statement</title></head><body><p>Coming soon.</p></body></html>"),
        "/offtopic": Response(body=off_topic.encode()),
    }
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("short", srv.url("/short")), row("off", srv.url("/offtopic"))])
        rep = fetch_corpus(cdir, config=fast_config())
    by = {r.doc_id: r for r in rep}
    assert "far too short" in by["short"].reason
    assert "does not match the manifest title" in by["off"].reason
    assert "responsibility" in by["off"].reason  # names the missing key words


def test_falls_back_to_next_candidate_and_uses_doc_symbol(tmp_path, server):
    pdf = server.routes["/docs/report.pdf"]
    routes = {"/ods?s=A/72/884&l=en": pdf}
    with FixtureServer(routes) as ods:
        cfg = fast_config(symbol_url_templates=(ods.url("/ods?s={symbol}&l={language}"),))
        r = row("rep", server.url("/index-page-gone"), kind="pdf", doc_symbol="A/72/884\u2013S/2018/525",
                url_override=server.url("/dead-override"))
        assert [o for o, _ in candidate_urls(r, cfg)] == ["url_override", "doc_symbol", "url"]
        cdir = make_corpus(tmp_path, [r])
        rep = fetch_corpus(cdir, config=cfg)
        assert ods.count("/ods?s=A/72/884&l=en") == 1
    res = rep.results[0]
    assert res.status == "fetched" and res.url.endswith("/ods?s=A/72/884&l=en")
    assert "HTTP 404" in res.tried[0][1]  # the override was tried first and failed
    # url (the third candidate) was never needed
    assert server.count("/index-page-gone") == 0


def test_html_rows_do_not_use_doc_symbol():
    cfg = FetchConfig()
    r = {"doc_id": "x", "url": "https://press.un.org/en/2008/sgsm11701.doc.htm", "doc_symbol": "SG/SM/11701",
         "source_kind": "html", "url_override": None}
    assert candidate_urls(r, cfg) == [("url", r["url"])]


# ------------------------------------------------------------------ politeness
def test_rate_limit_between_requests_to_a_host(tmp_path):
    page = hf.statement_html().encode()
    routes = {f"/p{i}": Response(body=page) for i in range(3)}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row(f"d{i}", srv.url(f"/p{i}")) for i in range(3)])
        rep = fetch_corpus(cdir, config=fast_config(min_interval_seconds=0.3))
        times = [h.time for h in srv.hits]
        paths = [h.path for h in srv.hits]
    assert rep.ok
    assert paths == ["/robots.txt", "/p0", "/p1", "/p2"]  # robots.txt asked once per host
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.25, gaps  # unthrottled, the gaps are a few milliseconds


def test_backoff_honours_retry_after(tmp_path):
    page = hf.statement_html().encode()
    routes = {"/busy": [Response(429, b"slow down", headers={"Retry-After": "7"}), Response(body=page)]}
    slept: list[float] = []
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("busy", srv.url("/busy"))])
        rep = fetch_corpus(cdir, config=fast_config(max_backoff_seconds=30.0), sleep=slept.append)
    assert rep.ok and rep.results[0].attempts == 2
    assert 7.0 in slept  # waited as the server asked (the fake sleep returns at once)


def test_gives_up_after_max_attempts_on_5xx(tmp_path):
    routes = {"/down": Response(503, b"down")}
    slept: list[float] = []
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("down", srv.url("/down"))])
        rep = fetch_corpus(cdir, config=fast_config(max_attempts=3, backoff_seconds=1.0, max_backoff_seconds=10),
                           sleep=slept.append)
        assert srv.count("/down") == 3
    assert "HTTP 503" in rep.results[0].reason and "after 3 attempts" in rep.results[0].reason
    assert slept == [1.0, 2.0]  # exponential backoff


# ------------------------------------------------------------------ plan, resume, re-fetch
def test_plan_lists_and_does_nothing(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("a", server.url("/sg/statement/anchor")),
                                  row("rep", "", kind="pdf", doc_symbol="A/72/884")])
    n_hits = len(server.hits)
    files_before = sorted(p for p in cdir.rglob("*"))
    rep = fetch_corpus(cdir, plan=True, config=fast_config())
    assert [r.status for r in rep] == ["planned", "planned"]
    assert "documents.un.org" in rep.results[1].url
    assert len(server.hits) == n_hits
    assert sorted(p for p in cdir.rglob("*")) == files_before


def test_interrupted_run_resumes(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("r1", server.url("/sg/statement/anchor")),
                                  row("r2", server.url("/docs/report.pdf"), kind="pdf")])

    def stop(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_corpus(cdir, config=fast_config(), on_result=stop)
    assert (cdir / "texts" / "r1.txt").exists() and not (cdir / "texts" / "r2.txt").exists()
    assert not (cdir / ".fetch.pid").exists()
    assert list(read_lock(cdir)["doc_id"]) == ["r1"]
    rep = fetch_corpus(cdir, config=fast_config())
    assert [r.status for r in rep] == ["present", "fetched"]
    assert list(read_lock(cdir)["doc_id"]) == ["r1", "r2"]
    assert [p for p in verify_lock(cdir) if p.severity == "error"] == []


def test_refetch_keeps_good_text(tmp_path, anchor):
    page = hf.statement_html().encode()
    routes = {"/s": Response(body=page)}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("s", srv.url("/s"))])
        tp = cdir / "texts" / "s.txt"
        assert fetch_corpus(cdir, config=fast_config()).results[0].status == "fetched"
        good = tp.read_bytes()
        # same page again: unchanged
        assert fetch_corpus(cdir, force=True, config=fast_config()).results[0].status == "unchanged"
        # the page changed: old text kept, new one beside it, difference reported
        paras = hf.anchor_paragraphs()
        srv.routes["/s"] = Response(body=hf.statement_html(paragraphs=paras[:-3] + ["An added closing line."]).encode())
        res = fetch_corpus(cdir, force=True, config=fast_config()).results[0]
        assert res.status == "changed"
        assert tp.read_bytes() == good
        new = cdir / "texts" / "s.new.txt"
        assert "An added closing line." in new.read_text(encoding="utf-8")
        assert "similarity" in res.reason and "s.new.txt" in res.reason
        notes = [p for p in verify_lock(cdir) if p.severity == "note"]
        assert any("awaiting review" in p.message for p in notes)
        # a failed re-fetch never touches the good text
        srv.routes["/s"] = Response(404, b"gone")
        res = fetch_corpus(cdir, force=True, config=fast_config()).results[0]
        assert res.status == "failed" and tp.read_bytes() == good
        # without --force nothing is downloaded
        n = srv.count("/s")
        assert fetch_corpus(cdir, config=fast_config()).results[0].status == "present"
        assert srv.count("/s") == n
    # accepting the reviewed new text: it replaces the old one; lock and manifest follow
    new_data = new.read_bytes()
    acc = accept_new(cdir, only=["s"])
    assert [r.status for r in acc] == ["fetched"]
    assert tp.read_bytes() == new_data and not new.exists()
    sha = hashlib.sha256(new_data).hexdigest()
    assert read_lock(cdir).loc[0, "text_sha256"] == sha
    assert pd.read_csv(cdir / "manifest.csv", dtype=str).loc[0, "sha256"] == sha
    assert [p for p in verify_lock(cdir) if p.severity == "error"] == []
    assert len(accept_new(cdir)) == 0  # nothing left to accept


def test_accept_refuses_an_edited_new_text(tmp_path):
    routes = {"/s": Response(body=hf.statement_html().encode())}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("s", srv.url("/s"))])
        fetch_corpus(cdir, config=fast_config())
        srv.routes["/s"] = Response(body=hf.statement_html(paragraphs=hf.anchor_paragraphs()[:-2]).encode())
        assert fetch_corpus(cdir, force=True, config=fast_config()).results[0].status == "changed"
    good = (cdir / "texts" / "s.txt").read_bytes()
    new = cdir / "texts" / "s.new.txt"
    new.write_text(new.read_text(encoding="utf-8") + "\nmy own edit\n", encoding="utf-8")
    (res,) = accept_new(cdir)
    assert res.status == "failed" and "edited after the re-fetch" in res.reason
    assert (cdir / "texts" / "s.txt").read_bytes() == good


def test_bundled_rows_are_never_fetched(tmp_path, server):
    r = row("anchor", server.url("/sg/statement/anchor"), kind="bundled", anchor="true")
    cdir = make_corpus(tmp_path, [r])
    (cdir / "texts" / "anchor.txt").write_text(hf.anchor_raw(), encoding="utf-8")
    n = len(server.hits)
    rep = fetch_corpus(cdir, force=True, config=fast_config())
    assert rep.results[0].status == "bundled" and len(server.hits) == n
    lock = read_lock(cdir)
    assert lock.loc[0, "extractor"] == "bundled"
    assert lock.loc[0, "text_sha256"] == hashlib.sha256((cdir / "texts" / "anchor.txt").read_bytes()).hexdigest()


def test_only_and_unknown_ids(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("alpha", server.url("/sg/statement/anchor")), row("beta", server.url("/gone"))])
    rep = fetch_corpus(cdir, only=["alpha"], config=fast_config())
    assert [r.doc_id for r in rep] == ["alpha"]
    with pytest.raises(ValueError, match="did you mean 'beta'"):
        fetch_corpus(cdir, only=["betta"], config=fast_config())


def test_concurrent_runs_are_refused(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("alpha", server.url("/sg/statement/anchor"))])
    (cdir / ".fetch.pid").write_text(str(os.getpid()))  # a live process holds the lock
    with pytest.raises(RuntimeError, match="another fetch"):
        fetch_corpus(cdir, config=fast_config())
    (cdir / ".fetch.pid").write_text("999999999")  # stale: no such process
    assert fetch_corpus(cdir, config=fast_config()).ok


# ------------------------------------------------------------------ verification
def test_verify_lock_finds_tampering(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("a", server.url("/sg/statement/anchor")),
                                  row("b", server.url("/docs/report.pdf"), kind="pdf")])
    assert fetch_corpus(cdir, config=fast_config()).ok
    assert [p for p in verify_lock(cdir) if p.severity == "error"] == []
    # edit a text
    tp = cdir / "texts" / "a.txt"
    tp.write_text(tp.read_text(encoding="utf-8").replace("genocide", "genocides"), encoding="utf-8")
    # alter a raw file
    raw = cdir / read_lock(cdir).set_index("doc_id").loc["b", "raw_file"]
    raw.write_bytes(raw.read_bytes() + b"\n")
    # a lock row the manifest lacks, and a missing text
    lock_text = (cdir / "corpus.lock").read_text(encoding="utf-8")
    extra = lock_text.splitlines()[1].replace("a,", "zzz,", 1)
    (cdir / "corpus.lock").write_text(lock_text + extra + "\n", encoding="utf-8")
    (cdir / "texts" / "b.txt").unlink()
    problems = [p for p in verify_lock(cdir) if p.severity == "error"]
    msgs = " | ".join(p.message for p in problems)
    assert "a.txt has sha256" in msgs
    assert "was altered" in msgs
    assert "'zzz' is not in manifest.csv" in msgs
    assert "b.txt is locked but missing" in msgs
    assert all(p.file.endswith("corpus.lock") and p.fix for p in problems)
    assert {p.row for p in problems} <= {2, 3, 4}


def test_verify_lock_reports_manifest_disagreement(tmp_path, server):
    cdir = make_corpus(tmp_path, [row("a", server.url("/sg/statement/anchor"), sha256="0" * 64)])
    rep = fetch_corpus(cdir, config=fast_config())
    assert "differs from the one recorded in manifest.csv" in rep.results[0].reason
    # the recorded hash is reported, never overwritten
    assert pd.read_csv(cdir / "manifest.csv", dtype=str).loc[0, "sha256"] == "0" * 64
    problems = verify_lock(cdir)
    assert any(p.column == "text_sha256" and "manifest.csv records" in p.message for p in problems)


def test_verify_lock_unreadable(tmp_path):
    make_corpus(tmp_path, [row("a", "")])
    (tmp_path / "corpus.lock").write_text("doc_id,foo\na,b\n", encoding="utf-8")
    (p,) = verify_lock(tmp_path)
    assert "lacks column" in p.message and p.file.endswith("corpus.lock")
    assert verify_lock(tmp_path / "nowhere") == []


def test_validate_corpus_folder_calls_verify_lock(tmp_path, server):
    from analysis.acquire.lock import validate_corpus_folder

    cdir = make_corpus(tmp_path, [row("a", server.url("/sg/statement/anchor"))])
    fetch_corpus(cdir, config=fast_config())
    tp = cdir / "texts" / "a.txt"
    tp.write_text("edited\n" + tp.read_text(encoding="utf-8"), encoding="utf-8")
    assert any("the lock records" in p.message for p in validate_corpus_folder(cdir))


# ------------------------------------------------------------------ manifest surgery and config
def test_update_manifest_sha256_changes_only_that_cell(tmp_path):
    text = ('doc_id,title,notes,sha256,url\r\n'
            'a,"Title, with comma","multi\r\nline ""note""",,http://x/a\r\n'
            'b,Plain,,,http://x/b\r\n'
            'c,"Q",n,,http://x/c\r\n')
    p = tmp_path / "manifest.csv"
    p.write_bytes(text.encode("utf-8"))
    sha = "f" * 64
    assert update_manifest_sha256(p, {"b": sha}) == 1
    assert p.read_bytes().decode("utf-8") == text.replace("b,Plain,,,", f"b,Plain,,{sha},")
    assert update_manifest_sha256(p, {"b": sha}) == 0  # idempotent
    assert update_manifest_sha256(p, {"a": sha}) == 1
    rows = list(csv.reader(io.StringIO(p.read_bytes().decode("utf-8"), newline="")))
    assert rows[1] == ["a", "Title, with comma", 'multi\r\nline "note"', sha, "http://x/a"]
    assert p.read_bytes().decode().endswith('c,"Q",n,,http://x/c\r\n')  # untouched record keeps its quoting


def test_load_config_layers_and_errors(tmp_path):
    cfg = load_config()
    assert cfg.min_interval_seconds >= 1 and "{version}" not in cfg.user_agent_string
    assert any("documents.un.org" in t for t in cfg.symbol_url_templates)
    (tmp_path / "sources.yml").write_text("min_interval_seconds: 9\ndocument_symbol:\n  language: fr\n")
    cfg = load_config(tmp_path)
    assert cfg.min_interval_seconds == 9 and cfg.symbol_language == "fr"
    assert cfg.max_attempts == load_config().max_attempts  # other keys from the project file
    (tmp_path / "sources.yml").write_text("min_intervall_seconds: 9\n")
    with pytest.raises(ValueError, match="unknown key 'min_intervall_seconds'"):
        load_config(tmp_path)


def test_cli_fetch_exit_codes(tmp_path, server):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    ok_dir = make_corpus(tmp_path / "ok", [row("a", server.url("/sg/statement/anchor"))])
    bad_dir = make_corpus(tmp_path / "bad", [row("x", server.url("/gone"))])
    cfg = tmp_path / "fast.yml"
    cfg.write_text("min_interval_seconds: 0\ntimeout_seconds: 0.5\nmax_attempts: 1\n")
    runner = CliRunner()
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(ok_dir), "--plan", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "planned" in r.output and not (ok_dir / "texts" / "a.txt").exists()
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(ok_dir), "--config", str(cfg), "-q"])
    assert r.exit_code == 0, r.output
    assert (ok_dir / "texts" / "a.txt").exists()
    report = tmp_path / "report.csv"
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(bad_dir), "--config", str(cfg),
                            "--report", str(report)])
    assert r.exit_code == 1
    assert "HTTP 404" in r.output and "x" in r.output
    assert pd.read_csv(report).loc[0, "status"] == "failed"
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(bad_dir), "--only", "nope", "--config", str(cfg)])
    assert r.exit_code == 2
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(tmp_path / "none")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["corpus", "fetch", "--corpus", str(ok_dir), "--accept"])
    assert r.exit_code == 0 and "no re-fetched texts awaiting review" in r.output


def test_cut_off_download_resumes_with_range(tmp_path, server):
    pdf = server.routes["/docs/report.pdf"].body
    half = len(pdf) // 2
    etag = {"ETag": '"v1"'}
    routes = {"/big.pdf": [Response(body=pdf, content_type="application/pdf", headers=etag, drop_after=half),
                           Response(body=pdf, content_type="application/pdf", headers=etag, ranges=True)]}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("big", srv.url("/big.pdf"), kind="pdf")])
        # first run: one attempt only, so the cut-off body fails the row ...
        rep = fetch_corpus(cdir, config=fast_config(max_attempts=1))
        assert rep.results[0].status == "failed" and "connection failed" in rep.results[0].reason
        assert not (cdir / "texts" / "big.txt").exists()
        parts = list((cdir / "raw" / ".partial").glob("*.part"))
        assert len(parts) == 1 and parts[0].stat().st_size == half
        # ... and the next run asks only for the rest
        rep = fetch_corpus(cdir, config=fast_config(max_attempts=1))
        assert rep.ok, rep.summary()
        second = [h for h in srv.hits if h.path == "/big.pdf"][1]
    assert second.headers.get("Range") == f"bytes={half}-" and second.headers.get("If-Range") == '"v1"'
    assert second.sent == len(pdf) - half
    raw = cdir / read_lock(cdir).loc[0, "raw_file"]
    assert raw.read_bytes() == pdf  # reassembled byte for byte
    assert not list((cdir / "raw" / ".partial").glob("*.part"))


def test_resume_ignored_when_server_sends_whole_file(tmp_path, server):
    """A server without Range support answers 200 with the whole body: start over."""
    pdf = server.routes["/docs/report.pdf"].body
    etag = {"ETag": '"v1"'}
    routes = {"/big.pdf": [Response(body=pdf, content_type="application/pdf", headers=etag, drop_after=100),
                           Response(body=pdf, content_type="application/pdf", headers=etag)]}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("big", srv.url("/big.pdf"), kind="pdf")])
        rep = fetch_corpus(cdir, config=fast_config(max_attempts=2))
        assert rep.ok and rep.results[0].attempts == 2
    assert (cdir / read_lock(cdir).loc[0, "raw_file"]).read_bytes() == pdf


def test_unsafe_rows_and_bad_manifests(tmp_path, server):
    cdir = make_corpus(tmp_path / "a", [row("../escape", server.url("/sg/statement/anchor")),
                                        row("ok", server.url("/sg/statement/anchor"), text_file="../../outside.txt")])
    rep = fetch_corpus(cdir, config=fast_config())
    assert [r.status for r in rep] == ["failed", "failed"]
    assert "file name" in rep.results[0].reason and "outside the corpus" in rep.results[1].reason
    assert not (tmp_path / "outside.txt").exists()
    assert [r.status for r in fetch_corpus(cdir, plan=True, config=fast_config())] == ["failed", "failed"]
    dup = make_corpus(tmp_path / "b", [row("x", ""), row("x", "")])
    with pytest.raises(ValueError, match="duplicate doc_id 'x'"):
        fetch_corpus(dup, config=fast_config())
    (dup / "manifest.csv").write_text("doc_id,url\nx,http://127.0.0.1:9/\n")
    (dup / "corpus.lock").write_text("something,else\n1,2\n")
    with pytest.raises(ValueError, match="not a lock file"):
        fetch_corpus(dup, config=fast_config())


def test_robots_txt_unreachable_blocks_the_host_politely(tmp_path):
    """RFC 9309: a robots.txt answering 5xx (after retries) means 'assume disallowed'."""
    routes = {"/robots.txt": Response(503, b"down"), "/page": Response(body=hf.statement_html().encode())}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("p", srv.url("/page"))])
        rep = fetch_corpus(cdir, config=fast_config())
        assert srv.count("/robots.txt") == 2 and srv.count("/page") == 0
    assert "robots.txt unreachable" in rep.results[0].reason and "try again later" in rep.results[0].reason
    # switched off in the configuration, the page is fetched
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path / "b", [row("p", srv.url("/page"))])
        assert fetch_corpus(cdir, config=fast_config(respect_robots_txt=False)).ok


def test_project_manifest_end_to_end_with_mock_transport(tmp_path):
    """The project's real manifest goes through fetch and validation (HTTP answered in-process).

    Every URL is answered by an ``httpx.MockTransport`` (no socket at all): PDF
    for the Official Document System, a statement page for anything else, each
    built around the anchor speech under the row's own title.
    """
    import shutil

    import httpx

    from analysis.acquire.lock import validate_corpus_folder
    from analysis.manifest import read_manifest

    cdir = tmp_path / "corpus"
    (cdir / "texts").mkdir(parents=True)
    shutil.copy(REPO_CORPUS / "manifest.csv", cdir / "manifest.csv")
    if (REPO_CORPUS / "manifest.schema.json").exists():
        shutil.copy(REPO_CORPUS / "manifest.schema.json", cdir / "manifest.schema.json")
    shutil.copy(hf.ANCHOR_FILE, cdir / "texts" / hf.ANCHOR_FILE.name)
    manifest = read_manifest(cdir / "manifest.csv")
    titles = {}
    for r in manifest.to_dict("records"):
        for u in (r["url"], r.get("url_override")):
            if isinstance(u, str):
                titles[u] = r["title"]
    pdf_body = hf.report_pdf()
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        seen.append(url)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.host == "documents.un.org":
            return httpx.Response(200, content=pdf_body, headers={"Content-Type": "application/pdf"})
        title = next((t for u, t in titles.items() if httpx.URL(u) == request.url), None)
        if title is None:
            return httpx.Response(404)
        page = hf.statement_html(title=title, paragraphs=[title.strip("[]"), *hf.anchor_paragraphs()])
        return httpx.Response(200, content=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    client = httpx.Client(transport=httpx.MockTransport(answer), follow_redirects=True)
    cfg = fast_config(title_keyword_share=0.0)  # the mock serves the anchor under every title
    rep = fetch_corpus(cdir, config=cfg, client=client)
    counts = rep.counts()
    assert rep.ok, rep.summary()
    assert counts["bundled"] == 1 and counts["fetched"] == len(manifest) - 1
    # reports with a symbol went to the Official Document System first, by their first symbol
    reports = manifest[(manifest["source_kind"] == "pdf") & manifest["doc_symbol"].notna()]
    for r in reports.to_dict("records"):
        first = re.split(cfg.symbol_split_pattern, r["doc_symbol"])[0]
        assert any(f"s={first}&" in u for u in seen), r["doc_id"]
    assert not any("\u2013" in u or "%E2%80%93" in u for u in seen if "documents.un.org" in u)
    problems = [p for p in validate_corpus_folder(cdir) if p.severity == "error"]
    assert problems == [], problems[:3]
    lock = read_lock(cdir)
    assert len(lock) == len(manifest) and lock["text_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_redirects_size_limit_and_retry_after_dates(tmp_path):
    from analysis.acquire.http import _retry_after

    page = hf.statement_html().encode()
    routes = {"/old": Response(301, b"", headers={"Location": "/new"}), "/new": Response(body=page),
              "/huge": Response(body=page * 5)}
    with FixtureServer(routes) as srv:
        cdir = make_corpus(tmp_path, [row("moved", srv.url("/old")), row("huge", srv.url("/huge"))])
        rep = fetch_corpus(cdir, config=fast_config(max_bytes=len(page) * 2))
    by = {r.doc_id: r for r in rep}
    assert by["moved"].status == "fetched"
    lock = read_lock(cdir).set_index("doc_id")
    assert lock.loc["moved", "url"].endswith("/old") and lock.loc["moved", "final_url"].endswith("/new")
    assert "exceeds max_bytes" in by["huge"].reason
    # Retry-After as seconds or as an HTTP date (RFC 9110, 10.2.3)
    import email.utils
    from datetime import UTC, datetime, timedelta

    assert _retry_after("120") == 120.0
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= _retry_after(when) <= 91
    assert _retry_after("soon") is None and _retry_after(None) is None


# ------------------------------------------------------------------ offline and unknown hosts
def test_offline_check():
    from analysis.acquire.http import offline_check

    assert offline_check(["http://127.0.0.1:9/x"]) is None
    reason = offline_check(["https://r2p-test-a.invalid/x", "https://r2p-test-b.invalid/y"])
    assert reason.startswith("offline: none of the 2 source hosts resolves")


def test_offline_run_fails_every_row_at_once_without_retries(tmp_path):
    cdir = make_corpus(tmp_path, [row(f"d{i}", f"https://r2p-test-{i}.invalid/page") for i in range(5)])
    slept: list[float] = []
    rep = fetch_corpus(cdir, config=fast_config(max_attempts=4, backoff_seconds=5.0), sleep=slept.append)
    assert [r.status for r in rep] == ["failed"] * 5
    assert all("offline: none of the 5 source hosts" in r.reason for r in rep)
    assert slept == []  # no backoff waits: nothing was retried
    assert not any((cdir / "texts").glob("*.txt"))


def test_unknown_host_is_not_retried_and_fails_its_other_urls():
    import httpx

    from analysis.acquire.http import FetchError, PoliteClient

    calls = []

    def handler(request):
        calls.append(str(request.url))
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    poli = PoliteClient(fast_config(max_attempts=4), client=client, sleep=lambda s: None)
    for path in ("/a", "/b"):
        with pytest.raises(FetchError, match="host gone.example not found"):
            poli.get(f"https://gone.example{path}")
    assert calls == ["https://gone.example/a"]
