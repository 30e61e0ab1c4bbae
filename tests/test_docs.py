"""Docs that cannot rot: the site's examples run, its links resolve, the names it uses exist.

* every fenced block marked ``<!-- test: python -->`` or ``<!-- test: bash -->`` in ``docs/``
  runs (the blocks of one page in order, in one temporary folder, on the small offline corpora);
* every relative link of the pages (and of the README) points at a file that exists;
* every ``analysis.…`` name and ``analysis/…`` path a page mentions exists, and so does every
  setting (``GROUP.KEY`` in backticks or after ``--set``);
* the generated reference pages come from the declarations;
* the README is a front door of at most 200 lines that links every part of the site;
* the built site (``make docs``; CI builds it first) opens in Chromium without console errors,
  its search finds "Wordfish" and a notebook page shows its figures. Without a built site or
  without Chromium that test skips with the reason, unless ``R2P_REQUIRE_DOCS_SITE=1`` (CI).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SKIP_DIRS = {"_build", "_generated", "_static", "_ext"}


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md")
                  if not SKIP_DIRS & set(p.relative_to(DOCS).parts[:-1]) and p.name != "api.md")


def prose_files() -> list[Path]:
    return [*pages(), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


# ------------------------------------------------------------------------ runnable examples
FENCE = re.compile(r"<!-- test: (python|bash) -->\s*\n(`{3,})(\w*)[^\n]*\n(.*?)\n\2[ \t]*\n", re.DOTALL)


def examples(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(4)) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def test_examples_are_found_and_well_formed():
    marked = {p: len(re.findall(r"^<!-- test: ", p.read_text(encoding="utf-8"), re.MULTILINE)) for p in pages()}
    found = {p: len(examples(p)) for p in pages()}
    assert marked == found, "a <!-- test: ... --> marker is not followed by a fenced block"
    howtos = [p for p in pages() if p.parent.name == "howto" and p.name != "index.md"]
    assert len(howtos) >= 12
    without = [p.name for p in howtos if not found[p]]
    assert not without, f"how-to guides without a runnable example: {without}"


RUNNABLE = [p for p in pages() if examples(p)]


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE, ids=[_rel(p) for p in RUNNABLE])
def test_page_examples_run(page, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", NO_COLOR="1", COLUMNS="120",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("R2P_DATA_DIR", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # a user data folder of its own
    for i, (lang, code) in enumerate(examples(page)):
        if lang == "python":
            script = tmp_path / f"example_{i}.py"
            script.write_text(code + "\n", encoding="utf-8")
            cmd = [sys.executable, str(script)]
        else:
            cmd = ["bash", "-euo", "pipefail", "-c", code]
        res = subprocess.run(cmd, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, (f"{_rel(page)} example {i + 1} ({lang}) failed with exit {res.returncode}:\n"
                                     f"{code}\n--- stdout\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-3000:]}")


# ------------------------------------------------------------------------------------ links
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
INCLUDE = re.compile(r"```\{(?:include|literalinclude)\}\s+(\S+)")


def _strip_code(text: str) -> str:
    return re.sub(r"(`{3,}).*?\1", "", text, flags=re.DOTALL)


def test_internal_links_resolve():
    bad = []
    for page in prose_files():
        text = page.read_text(encoding="utf-8")
        targets = [a or b for a, b in LINK.findall(_strip_code(text))] + INCLUDE.findall(text)
        for t in targets:
            if re.match(r"^[a-z]+:", t) or t.startswith("#"):
                continue
            path = t.split("#", 1)[0]
            if not path:
                continue
            target = (page.parent / path).resolve()
            generated = "_generated" in Path(path).parts  # written at build time
            if generated:
                continue
            if not target.exists():
                bad.append(f"{_rel(page)}: {t}")
    assert not bad, "links to missing files:\n" + "\n".join(bad)


def test_generated_pages_the_site_links_are_made():
    """The links into _generated/ name files r2p_docs writes (checked against its code)."""
    src = (DOCS / "_ext" / "r2p_docs.py").read_text(encoding="utf-8")
    from analysis.notebooks import list_notebooks

    books = {b.name for b in list_notebooks()}
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for t in re.findall(r"_generated/([\w./-]+)", text):
            name = t.split("#")[0]
            if name.startswith("notebooks/"):
                stem = name.split("/", 1)[1]
                assert stem in books or stem + ".ipynb" in books, f"{_rel(page)}: {t}"
            elif name.startswith("conformance/"):
                continue  # one file per family (checked below)
            else:
                assert f'"{name}"' in src, f"{_rel(page)} includes _generated/{name}, which r2p_docs does not write"


def test_method_pages_include_families_that_exist():
    from tests.conformance.registry import FAMILIES

    slugs = {re.sub(r"[^a-z0-9]+", "-", f.lower()).strip("-") for f in FAMILIES}
    used = set()
    for page in (DOCS / "methods").glob("*.md"):
        for slug in re.findall(r"_generated/conformance/([\w-]+)\.md", page.read_text(encoding="utf-8")):
            assert slug in slugs, f"{page.name} includes an unknown conformance family {slug!r}"
            used.add(slug)
    assert used == slugs, f"families on no method page: {slugs - used}"


# ------------------------------------------------------------------------- names and settings
NAME = re.compile(r"(?<![\w./-])(analysis(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
PATH = re.compile(r"(?<![\w./-])(analysis/[\w./-]*[\w/])")
#: names that are not Python objects of the package
NOT_OBJECTS = {"analysis._corpus"}


def resolve(dotted: str) -> bool:
    """True when ``dotted`` names a module or an attribute chain under its own name.

    A module imported under an old name (a deprecated alias such as ``analysis.dictionary``,
    whose ``__name__`` is the new one) does not count: the docs must use the new name.
    """
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        mod = ".".join(parts[:i])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                obj = importlib.import_module(mod)
        except ImportError:
            continue
        if obj.__name__ != mod:
            return False
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_analysis_name_a_page_uses_exists():
    bad = []
    for page in prose_files():
        text = page.read_text(encoding="utf-8")
        for name in sorted(set(NAME.findall(text))):
            name = name.rstrip(".")
            if name in NOT_OBJECTS or name.split(".")[-1] in {"py", "md", "csv"}:
                continue
            if not resolve(name):
                bad.append(f"{_rel(page)}: {name}")
        for path in sorted(set(PATH.findall(text))):
            if not (ROOT / path).exists():
                bad.append(f"{_rel(page)}: {path}")
    assert not bad, "names that do not exist:\n" + "\n".join(bad)


def _settings(deprecated: bool = False):
    """Group -> declared keys (and, with ``deprecated``, the renamed keys that still work with a note)."""
    from analysis.run.registry import settings_groups

    return {g: {s.name for s in cls.specs()} | (set(getattr(cls, "deprecated", {}) or {}) if deprecated else set())
            for g, cls in settings_groups().items()}


FILE_SUFFIXES = {"py", "csv", "json", "md", "yml", "yaml", "ipynb", "png", "pdf", "svg", "parquet", "tsv",
                 "html", "txt", "lock", "rds", "dta", "mtx", "tgz", "zip", "tar", "toml", "cff", "mplstyle"}


def setting_mentions(text: str, groups) -> list[str]:
    alt = "|".join(sorted((g for g in groups if groups[g]), key=len, reverse=True))  # groups with settings
    # a line showing the usage error of a typo ("did you mean stem?") names a key on purpose
    text = "\n".join(ln for ln in text.splitlines() if "did you mean" not in ln)
    found = set()
    # `group.key`, `group.key=...` (the whole inline literal) and --set group.key=...
    for m in re.finditer(rf"`({alt})\.([a-z_][a-z0-9_]*)(?:=[^`]*)?`", text):
        found.add((m.group(1), m.group(2)))
    for m in re.finditer(rf"--set\s+[\"']?({alt})\.([a-z_][a-z0-9_]*)", text):
        found.add((m.group(1), m.group(2)))
    return sorted(f"{g}.{k}" for g, k in found if k not in FILE_SUFFIXES)


def test_every_setting_a_page_names_exists():
    from analysis.notebook import Run

    known = _settings(deprecated=True)
    run_attrs = {a for a in dir(Run) if not a.startswith("_")}
    bad = []
    for page in prose_files():
        for ref in setting_mentions(page.read_text(encoding="utf-8"), known):
            group, key = ref.split(".")
            if group == "run" and key in run_attrs:
                continue  # run.tables, run.show: the notebooks' Run object
            if key not in known[group]:
                bad.append(f"{_rel(page)}: {ref}")
    assert not bad, "settings that do not exist:\n" + "\n".join(bad)


def test_the_checkers_can_fail():
    """The name and setting checks flag what does not exist (and pass what does)."""
    assert resolve("analysis.plots.save.save_figure") and resolve("analysis.notebook.Run.show")
    assert not resolve("analysis.dictionary.read_liwc") and not resolve("analysis.figures.save_figure")
    groups = _settings()
    text = ("`topics.k=12`, `text.stemm`, --set compare.n_boot=5, `run.json`, `topics.py`, `corpus.texts`\n"
            "--set text.stemm=true  # did you mean stem?")
    assert setting_mentions(text, groups) == ["compare.n_boot", "text.stemm", "topics.k"]
    assert "stemm" not in groups["text"]


# ------------------------------------------------------------------------- generated pages
def _r2p_docs():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import r2p_docs
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return r2p_docs


def test_settings_page_is_generated_from_the_declarations():
    from analysis.cli.run import settings_markdown
    from analysis.run.registry import settings_groups

    page = _r2p_docs().settings_page()
    for group in settings_groups():
        assert settings_markdown(group) in page
    for group, keys in _settings().items():
        for key in keys:
            assert f"`{group}.{key}`" in page


def test_tables_page_lists_every_stage_table():
    from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, stage_module

    page = _r2p_docs().tables_page(None)
    for stage in (*STAGE_NAMES, *OPTIONAL_STAGES):
        for name in getattr(stage_module(stage), "PRODUCES", ()):
            assert f"| `{name}` | `{stage}` |" in page


def test_api_page_lists_every_public_module():
    mods = _r2p_docs().api_modules()
    assert "analysis.plots.presets" in mods and "analysis.notebook" in mods
    assert "analysis.__main__" not in mods and not [m for m in mods if "._" in m]


# ------------------------------------------------------------------------------------ README
def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "make figures" in text and "make test" in text and "`analysis/`" in text
    assert not re.search(r"\b[Ii]ssue \d+", text), "internal issue numbers in the README"
    assert "r2p export" in text
    for part in ("getting-started", "tutorials/index", "howto/index", "methods/index", "reference/index",
                 "performance", "changelog", "citing"):
        assert f"docs/{part}.md" in text, f"the README does not link docs/{part}.md"
    assert re.search(r"!\[[^\]]*\]\(docs/gallery/\w+\.png\)", text), "the README shows no figure"


# ------------------------------------------------------------------------------ the built site
SITE = Path(os.environ.get("R2P_DOCS_HTML", DOCS / "_build" / "html"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REQUIRE = os.environ.get("R2P_REQUIRE_DOCS_SITE") == "1"


def _need(ok: bool, why: str):
    if not ok:
        if REQUIRE:
            pytest.fail(why + " (R2P_REQUIRE_DOCS_SITE=1)")
        pytest.skip(why)


def test_built_site_links_resolve():
    _need((SITE / "index.html").exists(), f"no built site in {SITE}: run `make docs`")
    bad = []
    for html in SITE.rglob("*.html"):
        if "_static" in html.parts or "_sources" in html.parts:
            continue
        text = html.read_text(encoding="utf-8", errors="replace")
        for ref in re.findall(r'(?:href|src)="([^"#?]+)(?:[#?][^"]*)?"', text):
            if re.match(r"^[a-z]+:", ref) or ref.startswith("//"):
                continue
            if not (html.parent / ref).exists():
                bad.append(f"{html.relative_to(SITE)}: {ref}")
    assert not bad, "broken links in the built site:\n" + "\n".join(sorted(set(bad))[:50])


@pytest.fixture(scope="module")
def browser():
    _need((SITE / "index.html").exists(), f"no built site in {SITE}: run `make docs`")
    _need(bool(CHROMIUM and DRIVER), "no Chromium: install Debian's chromium and chromium-driver "
                                     "(apt-get install -y chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (test extra)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1200,1000", "--no-proxy-server", "--disable-background-networking",
              "--allow-file-access-from-files"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield d
    d.quit()


def _wait(cond, timeout=20.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    return cond()


def _errors(d) -> list[str]:
    return [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]


def test_site_pages_open_without_console_errors(browser):
    for page in ("index.html", "methods/topics.html", "methods/conformance.html", "reference/settings.html",
                 "howto/figures-for-a-journal.html", "reference/api.html"):
        browser.get((SITE / page).as_uri())
        _wait(lambda: browser.execute_script("return document.readyState") == "complete")
        time.sleep(0.5)
        assert not _errors(browser), f"{page}: {_errors(browser)}"
        assert browser.find_elements("css selector", "h1"), page


def test_site_search_finds_wordfish(browser):
    browser.get((SITE / "search.html").as_uri() + "?q=Wordfish")

    def hits():
        return browser.find_elements("css selector", "#search-results li a, ul.search li a")

    found = _wait(hits, timeout=40)
    assert found, "the search found nothing for Wordfish"
    assert any("scaling" in (a.get_attribute("href") or "") for a in found), [a.get_attribute("href") for a in found]
    assert not _errors(browser), _errors(browser)


def test_site_notebook_page_shows_its_figures(browser):
    browser.get((SITE / "_generated" / "notebooks" / "02_anchor_in_context.html").as_uri())
    _wait(lambda: browser.execute_script("return document.readyState") == "complete")
    imgs = browser.find_elements("css selector", ".cell_output img, .output img")
    assert imgs, "the notebook page shows no figure"
    loaded = [i for i in imgs if browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", i)]
    assert len(loaded) == len(imgs) and len(loaded) >= 2, f"{len(loaded)} of {len(imgs)} figures loaded"
    assert not _errors(browser), _errors(browser)
