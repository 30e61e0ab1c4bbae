"""The run's HTML report: evidence tables, label placement, the page, and the page in a real browser.

Browser tests drive the system's Chromium (Debian's ``chromium`` + ``chromium-driver``)
with Selenium, headless and offline; they skip with the reason when either is absent
(``.ci/run`` installs both with apt-get, so CI runs them).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("altair", reason="the report extra (altair, vl-convert-python) is not installed")
pytest.importorskip("vl_convert", reason="the report extra (altair, vl-convert-python) is not installed")

from analysis.report.labels import boxes_overlap, place_labels, text_box  # noqa: E402

FAST = {"compare": {"n_boot": 10}, "frames": {"n_boot": 20},
        "topics": {"k": 3, "k_min": 2, "k_max": 3, "k_step": 1, "n_runs": 1, "n_boot": 20, "models": "nmf",
                   "covariate": None}}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, inaugural):
    """A real run on five inaugural addresses (1993-2009), with the report stage last."""
    from analysis.run.runner import run_pipeline

    dv = inaugural.docvars
    small = inaugural.subset(((dv["year"] >= 1993) & (dv["year"] <= 2009)).to_numpy())
    out = tmp_path_factory.mktemp("report_run")
    ctx = run_pipeline(small, out=out, only=["compare", "frames", "topics", "report"], use_cache=False,
                       verbose=False, progress=False, overrides=FAST)
    assert ctx.errors == []
    return out, ctx


# ------------------------------------------------------------ label placement
def test_place_labels_never_overlap_on_a_dense_cloud():
    rng = np.random.default_rng(1)
    px, py = rng.uniform(0, 300, 80), rng.uniform(0, 200, 80)
    labels = [f"term{i}" * (1 + i % 3) for i in range(80)]
    spots = place_labels(px, py, labels, 300, 200)
    boxes = []
    for (x, y), lab in ((s, lab) for s, lab in zip(spots, labels) if s is not None):
        w, h = text_box(lab, 11)
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        assert 0 <= boxes[-1][0] and boxes[-1][2] <= 300 and 0 <= boxes[-1][1] and boxes[-1][3] <= 200
    assert len(boxes) >= 10  # most important labels found a place
    assert not any(boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert spots[0] is not None  # the first (most important) label always fits on an empty plot


# ------------------------------------------------------------ evidence tables
def test_paragraph_similarity_matches_a_hand_computation():
    from analysis.dtm import DTM
    from analysis.textstats.evidence import stat_paragraph_similarity

    # units: A#1 "x y", A#2 "y", B#1 "x", B#2 "z z"; documents A (anchor) and B
    M = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 0, 2]])
    dv = pd.DataFrame({"unit_id": ["A#1", "A#2", "B#1", "B#2"], "doc_id": ["A", "A", "B", "B"]})
    out = stat_paragraph_similarity(DTM(M, np.array(["x", "y", "z"]), dv, {}), "A", top=1)
    # idf (smooth, n=2): x in both docs -> 1; y only in A -> ln(3/2)+1; z only in B -> ln(3/2)+1
    iy = np.log(1.5) + 1
    a = np.array([1, 2 * iy, 0]) / np.hypot(1, 2 * iy)  # A's summed counts times idf, normalised
    cos_b1 = a[0]  # B#1 is x alone
    cos_a1 = (a[0] + iy * a[1]) / np.hypot(1, iy)
    cos_a2 = a[1]
    assert out["unit_id"].tolist() == ["A#1" if cos_a1 >= cos_a2 else "A#2", "B#1"]
    assert out.loc[out["doc_id"] == "B", "cosine"].iloc[0] == pytest.approx(cos_b1)
    assert out.loc[out["doc_id"] == "A", "cosine"].iloc[0] == pytest.approx(max(cos_a1, cos_a2))


def test_term_kwic_takes_lines_from_both_sides_spread_over_documents():
    from analysis.textstats.evidence import extreme_terms, stat_term_kwic

    units = pd.DataFrame({"unit_id": ["a#1", "a#2", "b#1", "c#1"], "doc_id": ["a", "a", "b", "c"],
                          "position": [0, 1, 0, 0], "n_tokens": [4, 2, 3, 2],
                          "year": [2000, 2000, 2001, 2002], "speaker": ["A", "A", "B", "C"],
                          "text": ["peace and more peace", "peace again", "war and peace", "war war"]})
    fw = pd.DataFrame({"term": ["peace", "war", "and"], "z": [3.0, -2.5, 0.1]})
    top, bottom = extreme_terms(fw, 1)
    assert (top, bottom) == (["peace"], ["war"])
    k = stat_term_kwic(units, top + bottom, ["a"], ["b", "c"], "a vs rest", n_lines=2, window=2)
    tgt = k[(k["term"] == "peace") & (k["side"] == "target")]
    assert len(tgt) == 2 and set(tgt["doc_id"]) == {"a"}
    ref_war = k[(k["term"] == "war") & (k["side"] == "reference")]
    assert ref_war["doc_id"].tolist() == ["b", "c"]  # one line per document before a second one
    assert (k["comparison"] == "a vs rest").all()


def test_frame_passages_cap_per_year_and_keep_anchor_spans():
    from analysis.framing.passages import stat_frame_passages

    text = "We must prevent genocide. Genocide and war crimes demand prevention."
    units = pd.DataFrame({"unit_id": [f"d{i}#1" for i in range(4)], "doc_id": [f"d{i}" for i in range(4)],
                          "year": [2000, 2000, 2000, 2001], "text": [text] * 4})
    from analysis.profiles import get_profile

    p = stat_frame_passages(units, get_profile().frames_dictionary_path, per_year=2, anchor="d3")
    fam = p[~p["anchor"]].groupby(["family", "year"]).size()
    assert (fam <= 2).all()
    anch = p[p["anchor"]]
    assert len(anch) and (anch["doc_id"] == "d3").all()
    for r in anch.itertuples():
        assert text[r.start:r.end] == r.keyword
    assert "atrocity_crimes" in set(p["family"])


# ------------------------------------------------------------ the page
def test_stage_writes_one_offline_page_with_provenance(run_dir):
    out, ctx = run_dir
    page = out / "report" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html) is None  # nothing fetched
    assert "<link" not in html
    assert ctx.fingerprint in html and str(ctx.seed) in html and ctx.anchor in html
    idx = ctx.tables["report_index"]
    assert set(idx["view"]) == {"overview", "similarity", "terms", "topics", "frames", "anchor"}
    assert (idx.loc[idx["view"] != "anchor", "status"] == "drawn").all()
    for name in ("similarity_paragraphs", "term_kwic", "frame_passages"):
        assert len(ctx.tables[name]) > 0, name


def test_cli_report_rebuilds_the_same_page_from_the_folder(run_dir):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    out, _ = run_dir
    first = (out / "report" / "index.html").read_bytes()
    res = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    again = (out / "report" / "index.html").read_bytes()
    data = re.search(rb'id="r2p-data">(.*?)</script>', again, re.S).group(1)
    assert json.loads(data)["terms"]["comparisons"]  # the views are there
    assert data == re.search(rb'id="r2p-data">(.*?)</script>', first, re.S).group(1)  # same tables, same data
    bad = CliRunner().invoke(app, ["report", "--out", str(out), "--set", "report.max_trms=5"])
    assert bad.exit_code == 2 and "max_terms" in bad.output
    empty = CliRunner().invoke(app, ["report", "--out", str(out / "nowhere")])
    assert empty.exit_code == 2 and "r2p run" in empty.output


def test_page_for_ten_thousand_speeches_stays_under_20_mb():
    from analysis.report import build_report

    rng = np.random.default_rng(0)
    n = 10_000
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "year": 1946 + np.arange(n) % 78,
                         "speaker": [f"s{i % 190}" if i % 7 else None for i in range(n)], "available": True})
    sim = docs[["doc_id", "year", "speaker"]].assign(cosine=rng.uniform(0, 1, n))
    sim.loc[5, "cosine"] = np.nan  # a document with no terms left
    sim = sim.assign(ci_low=sim["cosine"] - 0.05, ci_high=sim["cosine"] + 0.05)
    para = pd.DataFrame({"doc_id": np.repeat(docs["doc_id"], 3), "unit_id": [f"u{i}" for i in range(3 * n)],
                         "rank": np.tile([1, 2, 3], n), "cosine": 0.5})
    units = pd.DataFrame({"unit_id": para["unit_id"], "doc_id": para["doc_id"].to_numpy(),
                          "text": ["word " * 200] * (3 * n)})
    terms = [f"t{i}" for i in range(30_000)]
    fw = pd.DataFrame({"comparison": "anchor vs rest", "term": terms, "count_a": rng.integers(0, 50, 30_000),
                       "count_b": rng.integers(1, 500, 30_000), "z": rng.normal(0, 2, 30_000)})
    html = build_report({"documents": docs, "similarity_to_anchor": sim, "similarity_paragraphs": para,
                         "units": units, "fightin_words": fw}, {"anchor": "d0"})
    blob = re.search(r'id="r2p-data">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</")
    json.loads(blob, parse_constant=lambda c: pytest.fail(f"{c} in the page's JSON"))  # strict JSON
    size = len(html.encode("utf-8"))
    assert size < 20e6, f"{size / 1e6:.1f} MB"
    assert "2000 of 30000 terms plotted" in html and "Paragraphs are included for the 2000 documents" in html


# ------------------------------------------------------------ in a real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _chrome():
    if not CHROMIUM or not DRIVER:
        pytest.skip("no Chromium: install Debian's chromium and chromium-driver (apt-get install -y chromium "
                    "chromium-driver; .ci/run does) to run the browser tests")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (test extra)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1200,1000", "--no-proxy-server", "--disable-background-networking"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@pytest.fixture(scope="module")
def browser(run_dir):
    d = _chrome()
    out, _ = run_dir
    t0 = time.perf_counter()
    d.get((out / "report" / "index.html").as_uri())
    d.load_seconds = time.perf_counter() - t0
    yield d
    d.quit()


def _by():
    from selenium.webdriver.common.by import By

    return By


def _tab(d, name):
    d.find_element(_by().ID, f"tab-{name}").click()
    sec = d.find_element(_by().ID, f"view-{name}")
    _wait(lambda: sec.find_elements(_by().CSS_SELECTOR, "svg.marks") or sec.find_elements(
        _by().CSS_SELECTOR, ".anchor-para, .note"))
    return sec


def _wait(cond, timeout=5.0):
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the page")


def _click(d, element):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(d).move_to_element(element).click().perform()


def test_browser_every_view_renders_without_errors_or_requests(browser):
    d = browser
    assert d.load_seconds < 10
    for name in ("overview", "similarity", "terms", "topics", "frames"):
        sec = _tab(d, name)
        assert sec.find_elements(_by().CSS_SELECTOR, "svg.marks path, svg.marks text"), name
    assert _tab(d, "anchor").find_elements(_by().CSS_SELECTOR, ".anchor-para mark")
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    urls = set()
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.add(msg["params"]["request"]["url"])
    assert urls and all(u.startswith(("file://", "data:", "about:", "blob:")) for u in urls), urls


def test_browser_click_a_term_shows_kwic_from_both_sides(browser):
    d = browser
    sec = _tab(d, "terms")
    labels = sec.find_elements(_by().CSS_SELECTOR, "#chart-terms g.mark-text.role-mark text")
    assert labels
    _click(d, labels[0])
    ev = _wait(lambda: d.find_element(_by().ID, "ev-terms").find_elements(_by().CSS_SELECTOR, "table.kwic tr"))
    assert labels[0].text.lower() in ev[0].text.lower()
    # labels never overlap on screen
    boxes = [d.execute_script("const r=arguments[0].getBoundingClientRect();return [r.left,r.top,r.right,r.bottom];",
                              t) for t in labels]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # the search box highlights and lists matching terms (keyboard path to the same evidence)
    box = d.find_element(_by().ID, "term-search")
    box.send_keys(labels[1].text[:3])
    buttons = _wait(lambda: d.find_elements(_by().CSS_SELECTOR, "#term-list button"))
    assert all(labels[1].text[:3].lower() in b.text.lower() for b in buttons)


def test_browser_click_a_year_lists_passages_with_the_keyword_marked(browser):
    d = browser
    sec = _tab(d, "frames")
    pts = sec.find_elements(_by().CSS_SELECTOR, "#chart-frames g.mark-symbol.role-mark path")
    years = [b.text for b in sec.find_elements(_by().CSS_SELECTOR, "#frame-years button")]
    assert pts and years
    target = next(p for p in pts if f"year: {years[0]};" in (p.get_attribute("aria-label") or ""))
    _click(d, target)
    marks = _wait(lambda: d.find_element(_by().ID, "ev-frames").find_elements(_by().CSS_SELECTOR, "mark"))
    assert marks[0].text.strip()


def test_browser_similarity_hover_names_and_click_lists_paragraphs(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    d = browser
    sec = _tab(d, "similarity")
    pts = sec.find_elements(_by().CSS_SELECTOR, "#chart-similarity g.mark-symbol.role-mark path")
    ActionChains(d).move_to_element(pts[0]).perform()
    tip = _wait(lambda: [e.text for e in d.find_elements(_by().ID, "vg-tooltip-element") if e.text])
    assert "document" in tip[0]
    _click(d, pts[0])
    paras = _wait(lambda: d.find_element(_by().ID, "ev-similarity").find_elements(_by().CSS_SELECTOR, "p.para"))
    assert len(paras) >= 1
    shot = tmp_path / "similarity.png"
    d.save_screenshot(str(shot))
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"))
    assert img.std() > 10 and (img < 128).mean() > 0.005  # not blank: dark ink on the page


def test_browser_tabs_move_with_the_arrow_keys(browser):
    from selenium.webdriver.common.keys import Keys

    d = browser
    tab = d.find_element(_by().ID, "tab-overview")
    tab.click()
    tab.send_keys(Keys.ARROW_RIGHT)
    assert d.switch_to.active_element.get_attribute("id") == "tab-similarity"
    assert d.find_element(_by().ID, "view-similarity").is_displayed()
    # the similarity evidence without a mouse: pick a document in the select
    from selenium.webdriver.support.ui import Select

    Select(_wait(lambda: d.find_elements(_by().ID, "sim-doc"))[0]).select_by_index(1)
    assert _wait(lambda: d.find_element(_by().ID, "ev-similarity").find_elements(_by().CSS_SELECTOR, "p.para"))


def test_a_view_renders_to_static_svg_from_the_same_specification(run_dir):
    import vl_convert

    out, _ = run_dir
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    blob = re.search(r'id="r2p-data">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</")
    spec = json.loads(blob)["similarity"]["spec"]
    svg = vl_convert.vegalite_to_svg(spec)
    assert svg.lstrip().startswith("<svg") and "cosine to the anchor" in svg


def _term_kwic_full_scan(units, terms, target_docs, reference_docs, comparison, n_lines=4, window=8):
    """stat_term_kwic's definition written out: every KWIC line of both sides, then the kept ones."""
    import numpy as np

    from analysis.textstats.evidence import TERM_KWIC_COLUMNS
    from analysis.textstats.kwic import stat_kwic

    terms = list(dict.fromkeys(terms))
    parts = []
    for side, ids in (("target", target_docs), ("reference", reference_docs)):
        u = units[units["doc_id"].astype(str).isin(set(ids))]
        k = stat_kwic(u, terms, window=window, valuetype="fixed", case_insensitive=True)
        if k.empty:
            continue
        k = k.assign(_row=np.arange(len(k)))
        k["_nth"] = k.groupby(["pattern", "doc_id"]).cumcount()
        k = k.sort_values(["pattern", "_nth", "_row"], kind="stable").groupby("pattern", sort=False).head(n_lines)
        parts.append(k.assign(side=side, term=k["pattern"], comparison=comparison))
    if not parts:
        return pd.DataFrame(columns=TERM_KWIC_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    rank = {t: i for i, t in enumerate(terms)}
    out = out.assign(_t=out["term"].map(rank), _s=(out["side"] == "reference").astype(int))
    return out.sort_values(["_t", "_s", "_row"], kind="stable").reindex(columns=TERM_KWIC_COLUMNS) \
        .reset_index(drop=True)


@pytest.mark.parametrize("n_lines", [1, 4, 30])
def test_term_kwic_equals_the_full_scan_on_a_real_corpus(n_lines):
    """Searching documents in batches until enough have a match keeps exactly the lines of a full scan."""
    from analysis.corpus import load_corpus
    from analysis.units import make_units
    from analysis.textstats.evidence import stat_term_kwic

    units = make_units(load_corpus("inaugural"), "paragraph")
    ids = sorted(units["doc_id"].astype(str).unique())
    target, reference = ids[::3], [d for d in ids if d not in ids[::3]]
    # common words, rare words, a phrase, a word absent from the corpus, a term on one side only
    terms = ["the", "freedom", "union", "united states", "zyzzyva", "constitution", "liberty", "god",
             "washington"]
    got = stat_term_kwic(units, terms, target, reference, "x", n_lines=n_lines, window=3)
    want = _term_kwic_full_scan(units, terms, target, reference, "x", n_lines=n_lines, window=3)
    pd.testing.assert_frame_equal(got, want)


# ------------------------------------------------------------ a report no text can break (issue 27)
#: strings that broke the page: an HTML comment opener made the embedded JSON invalid ("Bad escaped
#: character in JSON"), a topic term ``constructor`` made Vega's stack transform throw ("d.push is not a
#: function"), names of Object.prototype looked up as data; the rest are the classic script breakers
HOSTILE = ("<!--", "</script>", "constructor", "__proto__", "toString", "hasOwnProperty", "valueOf",
           "<script>alert(1)</script>", "\u2028", "\u2029", "&amp;", "-->")


def _hostile_corpus(inaugural):
    """Five inaugural addresses whose texts and docvars carry :data:`HOSTILE`: ``constructor``,
    ``tostring``, ``hasownproperty`` and ``valueof`` are frequent enough to be a topic's top terms, and the
    speakers and venues (the overview's groups) are ``constructor``, ``__proto__``, ``toString``, ``<!--``..."""
    from analysis.corpus import Corpus

    dv = inaugural.docvars
    small = inaugural.subset(((dv["year"] >= 1993) & (dv["year"] <= 2009)).to_numpy())
    para = ("The constructor of peace builds prototype freedom; constructor constructor valueof tostring "
            "hasownproperty proto. " + " ".join(HOSTILE) + " line & more.")
    texts = {d: t + "\n\n" + "\n\n".join([para] * 6) + f"\n\n__proto__ constructor toString {i}"
             for i, (d, t) in enumerate(small.texts.items())}
    dv = small.docvars.drop(columns=["available"]).copy()
    dv["speaker"] = ["constructor", "__proto__", "toString", "<!--", "</script>"]
    dv["venue"] = ["__proto__", "constructor", "hasOwnProperty", "<!-- x", "</script><b>"]
    return Corpus("hostile <!-- </script>", dv, texts, small.doc_ids[-1])


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, inaugural):
    from analysis.run.runner import run_pipeline

    out = tmp_path_factory.mktemp("hostile_run")
    ctx = run_pipeline(_hostile_corpus(inaugural), out=out, only=["compare", "frames", "topics", "report"],
                       use_cache=False, verbose=False, progress=False, overrides=FAST)
    assert ctx.errors == []
    return out, ctx


def _embedded(html: str) -> str:
    return re.search(r'<script type="application/json" id="r2p-data">(.*?)</script>', html, re.S).group(1)


def test_embedded_json_is_script_safe_and_round_trips():
    from analysis.report.page import build_report, script_safe_json

    values = {"x": " ".join(HOSTILE), "<!--": ["</script>", "\u2028"], "__proto__": {"constructor": "&"}}
    blob = script_safe_json(json.dumps(values, ensure_ascii=False))
    assert json.loads(blob) == values  # the same JSON, every value intact
    assert not set(blob) & {"<", ">", "&", "\u2028", "\u2029"}
    docs = pd.DataFrame({"doc_id": ["a<!--", "b"], "year": [2000, 2001], "speaker": ["</script>", "__proto__"],
                         "available": [True, True]})
    html = build_report({"documents": docs}, {"corpus": {"name": "<!-- x"}})
    data = _embedded(html)
    assert "<" not in data and ">" not in data
    got = json.loads(data)
    assert got["meta"]["corpus"] == "<!-- x"
    assert got["overview"]["by"] == "speaker"
    assert got["overview"]["docs"]["2000"]["</script>"] == [["a<!--", "</script>"]]
    assert got["overview"]["docs"]["2001"]["__proto__"] == [["b", "__proto__"]]


def test_chart_data_never_hold_a_bare_prototype_name():
    from analysis.report.views import JS_PROTOTYPE_NAMES, VEGA_KEY_SUFFIX, overview_view, vega_safe

    assert vega_safe({"data": [{"term": "constructor", "n": 1}, {"term": "peace"}], "constructor": "x"}) == {
        "data": [{"term": "constructor" + VEGA_KEY_SUFFIX, "n": 1}, {"term": "peace"}], "constructor": "x"}
    docs = pd.DataFrame({"doc_id": list("abcd"), "year": [2000, 2000, 2001, 2001],
                         "venue": ["__proto__", "constructor", "toString", "peace"], "available": [True] * 4})
    v = overview_view(docs)
    flat = json.dumps(v["spec"])
    assert not any(f'"{n}"' in flat for n in JS_PROTOTYPE_NAMES)
    assert set(v["docs"]["2000"]) == {"__proto__", "constructor"}  # the evidence keeps the real names


def test_hostile_texts_and_docvars_give_a_valid_page(hostile_run):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    out, ctx = hostile_run
    res = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    data = json.loads(_embedded(html))  # the browser's JSON.parse failed on "<\\!--" here before
    assert {"constructor", "tostring", "hasownproperty"} <= {t for tp in data["topics"]["topics"] for t in tp["prob"]}
    assert {"__proto__", "constructor"} <= set().union(*(set(g) for g in data["overview"]["docs"].values()))


@pytest.fixture(scope="module")
def hostile_browser(hostile_run):
    d = _chrome()
    out, _ = hostile_run
    d.get((out / "report" / "index.html").as_uri())
    yield d
    d.quit()


def test_browser_hostile_strings_render_every_view_without_console_errors(hostile_browser):
    from selenium.webdriver.support.ui import Select

    d, By = hostile_browser, _by()
    for name in ("overview", "similarity", "terms", "topics", "frames"):
        sec = _tab(d, name)
        assert sec.find_elements(By.CSS_SELECTOR, "svg.marks path, svg.marks text"), name
    assert _tab(d, "anchor").find_elements(By.CSS_SELECTOR, ".anchor-para")
    # the overview's legend has every venue, __proto__ and constructor included (Vega's grouping in
    # plain objects dropped them or threw)
    sec = _tab(d, "overview")
    legend = {t.text for t in sec.find_elements(By.CSS_SELECTOR, "g.role-legend-label text")}
    assert {"__proto__", "constructor", "hasOwnProperty", "<!-- x", "</script><b>"} <= legend, legend
    # every topic, the one whose top term is 'constructor' included, draws its bars and its evidence
    _tab(d, "topics")
    sel = Select(d.find_element(By.ID, "topic-select"))
    seen = set()
    for i in range(len(sel.options)):
        sel.select_by_index(i)
        time.sleep(0.3)
        seen |= {t.text for t in d.find_elements(By.CSS_SELECTOR, "#chart-topics g.role-axis-label text")}
        assert "Probability" in d.find_element(By.ID, "ev-topics").text
    assert {"constructor", "tostring", "hasownproperty"} <= seen
    # a term named like a prototype property: its own (absent) KWIC lines, not Object.prototype's
    _tab(d, "terms")
    box = d.find_element(By.ID, "term-search")
    box.send_keys("constructor")
    button = _wait(lambda: [b for b in d.find_elements(By.CSS_SELECTOR, "#term-list button")
                            if b.text == "constructor"])[0]
    button.click()
    ev = d.find_element(By.ID, "ev-terms").text
    assert "constructor" in ev and ("No KWIC lines stored" in ev or "in context" in ev)
    # the overview's year list shows the hostile names as text
    _tab(d, "overview")
    ys = Select(d.find_element(By.ID, "overview-year"))
    ys.select_by_index(1)
    assert "__proto__" in d.find_element(By.ID, "ev-overview").text
    assert d.execute_script("return ({}).polluted === undefined && typeof ({}).constructor === 'function'")
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
