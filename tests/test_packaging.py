"""environment.yml (conda) and pyproject.toml (pip) stay in step; the README shows the two commands."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower()


def test_environment_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in py["dependencies"]}
    for extra in py["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(r) for r in dep["pip"]}
        else:
            have.add(_name(dep))
    have -= {"python", "pip"}
    assert wanted == have, f"only in pyproject: {wanted - have}; only in environment.yml: {have - wanted}"


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make figures" in readme and "make test" in readme
    assert "`analysis/`" in readme


# ------------------------------------------------------------------ the wheel
ANCHOR_TEXT = "texts/2017-09-06_antonio-guterres_ga-informal-dialogue.txt"
#: corpus/ files that must ship (as analysis/_corpus/...) so an install works from any folder
CORPUS_RESOURCES = ["README.md", "manifest.csv", "manifest.schema.json", "corpus.lock", "sources.yml",
                    "dictionaries/README.md", "dictionaries/r2p_frames.yml", "dictionaries/stance.yml",
                    "un_regional_groups.csv", ANCHOR_TEXT]


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_is_listed_for_the_wheel():
    cfg = _setuptools_config()
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "analysis").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    listed = set(cfg["packages"])
    assert found - listed == set(), (f"add {sorted(found - listed)} to [tool.setuptools] packages in "
                                     "pyproject.toml, or `pip install .` leaves them out")
    assert listed - found == {"analysis._corpus"}, f"listed but absent: {sorted(listed - found - {'analysis._corpus'})}"
    assert cfg["package-dir"] == {"analysis._corpus": "corpus"}
    data = cfg["package-data"]["analysis._corpus"]
    for name in CORPUS_RESOURCES:
        assert (ROOT / "corpus" / name).is_file(), name
        assert any(Path(name).match(pat) for pat in data), f"corpus/{name} is not package data"


def test_fresh_venv_dependencies_are_declared():
    # trafilatura and jusText import lxml.html.clean, which lxml >= 5.2 moved to lxml_html_clean;
    # jusText asks for it as lxml[html_clean], an extra the pip of a fresh venv (23.x) skips
    import importlib.util

    deps = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    for dist, module in [("lxml_html_clean", "lxml_html_clean"), ("platformdirs", "platformdirs"),
                         ("trafilatura", "trafilatura")]:
        assert dist in deps, f"declare {dist} in pyproject.toml and environment.yml"
        assert importlib.util.find_spec(module) is not None, module
    import trafilatura  # noqa: F401  (fails with "lxml.html.clean module is now a separate project")


def _build_wheel(src: Path, out: Path) -> Path:
    """``pip wheel --no-deps`` of ``src``: offline with this environment's setuptools when new
    enough (pyproject asks for >= 77), else in pip's isolated build environment (as ``pip install .``)."""
    import subprocess
    import sys
    from importlib.metadata import PackageNotFoundError, version

    try:
        local = int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        local = False
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)]
    if local:
        cmd.insert(5, "--no-build-isolation")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = out.glob("r2p_analysis-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_ships_the_resources_and_no_fetched_texts(tmp_path):
    import json
    import os
    import shutil
    import subprocess
    import sys
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "analysis", src / "analysis", ignore=ignore)
    shutil.copytree(ROOT / "corpus", src / "corpus", ignore=ignore)
    # what a user's clone holds after `r2p corpus fetch`: none of it may ship
    planted = ["texts/2020-01-01_fetched.txt", "texts/2020-01-01_fetched.new.txt", "raw/d/0123456789abcdef.pdf",
               "raw/.partial/x.part", "footnotes/2020-01-01_fetched.txt", ".fetch.pid", "sources.local.yml"]
    for name in planted:
        (src / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (src / "corpus" / name).write_text("fetched\n")
    wheel = _build_wheel(src, tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("analysis/_corpus/") for n in names if n.startswith("analysis/_corpus/")}
    assert shipped == set(CORPUS_RESOURCES), f"extra: {shipped - set(CORPUS_RESOURCES)}; missing: {set(CORPUS_RESOURCES) - shipped}"
    assert "analysis/plots/r2p.mplstyle" in names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "analysis").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, f"modules left out of the wheel: {sorted(modules - names)[:5]}"
    assert not [n for n in names if n.startswith(("corpus/", "tests/", "notebooks/"))]
    for n in names:  # byte-identical copies of the clone's files
        if n.startswith("analysis/_corpus/"):
            assert zipfile.ZipFile(wheel).read(n) == (ROOT / "corpus" / n.removeprefix("analysis/_corpus/")).read_bytes()

    # the unpacked wheel on sys.path, imported from an empty folder: resources come from the package
    site, empty, data = tmp_path / "site", tmp_path / "empty", tmp_path / "data"
    zipfile.ZipFile(wheel).extractall(site)
    empty.mkdir()
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        "import analysis, analysis.resources as R\n"
        "from analysis.corpus import load_corpus\n"
        "from analysis.framing.frames import DICTIONARY_DIR, load_frames_dictionary\n"
        "from analysis.plots.save import STYLE_PATH\n"
        "from analysis.acquire.sources import DEFAULT_SOURCES, load_config\n"
        "from analysis.profiles import get_profile\n"
        "c = load_corpus('sg-r2p')\n"
        "print(json.dumps({'file': analysis.__file__, 'clone': R.is_clone(), 'root': str(R.resource_root()),\n"
        "  'folder': str(R.corpus_folder()), 'dicts': str(DICTIONARY_DIR), 'style': str(STYLE_PATH),\n"
        "  'style_ok': STYLE_PATH.is_file(), 'sources': str(DEFAULT_SOURCES),\n"
        "  'ua': load_config().user_agent_string, 'frames': len(load_frames_dictionary(get_profile().frames_dictionary_path).keys),\n"
        "  'anchor_ok': get_profile().anchor_path.is_file(),\n"
        "  'n': len(c), 'anchor': c.anchor, 'available': sorted(c.texts)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "R2P_CORPUS_DIR")}
    env["R2P_DATA_DIR"] = str(data)
    r = subprocess.run([sys.executable, "-c", probe, str(site)], cwd=empty, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    pkg = site / "analysis"
    assert Path(got["file"]) == pkg / "__init__.py" and got["clone"] is False
    assert Path(got["root"]) == pkg / "_corpus" and Path(got["dicts"]) == pkg / "_corpus" / "dictionaries"
    assert Path(got["sources"]) == pkg / "_corpus" / "sources.yml" and "r2p-analysis/" in got["ua"]
    assert Path(got["style"]) == pkg / "plots" / "r2p.mplstyle" and got["style_ok"]
    assert Path(got["folder"]) == data / "sg-r2p" and got["frames"] > 0 and got["anchor_ok"]
    n_rows = len((ROOT / "corpus" / "manifest.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert got["n"] == n_rows and got["available"] == [got["anchor"]] == ["2017-09-06_antonio-guterres_ga-informal-dialogue"]
    assert (data / "sg-r2p" / ANCHOR_TEXT).read_bytes() == (ROOT / "corpus" / ANCHOR_TEXT).read_bytes()
