"""Resources and the user data folder (analysis.resources): a clone reads corpus/, an install its
package data; fetched texts go to the data folder chosen by --data-dir, R2P_DATA_DIR or platformdirs."""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

import pytest

from analysis import resources as R
from analysis.errors import UsageError

from .conftest import ANCHOR_ID, ROOT

CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for var in (R.ENV_DATA_DIR, R.ENV_CORPUS_DIR):
        monkeypatch.delenv(var, raising=False)
    previous = R.set_data_dir(None)
    yield
    R.set_data_dir(previous)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_clone_reads_its_corpus_folder():
    assert R.is_clone() and R.repo_root() == ROOT
    assert R.resource_root() == CORPUS
    assert R.resource_path("dictionaries/stance.yml") == CORPUS / "dictionaries" / "stance.yml"
    assert R.dictionary_dir() == CORPUS / "dictionaries"
    assert R.style_path() == ROOT / "analysis" / "plots" / "r2p.mplstyle" and R.style_path().is_file()
    assert R.corpus_folder() == CORPUS  # fetched texts stay in corpus/ as before
    from analysis.acquire.sources import DEFAULT_SOURCES
    from analysis.corpus import corpus_dir
    from analysis.framing.frames import DICTIONARY_DIR
    from analysis.plots.save import STYLE_PATH

    assert corpus_dir() == CORPUS and DICTIONARY_DIR == CORPUS / "dictionaries"
    assert STYLE_PATH == R.style_path() and DEFAULT_SOURCES == CORPUS / "sources.yml"


def test_resource_names_stay_inside_the_resources():
    for bad in ("../pyproject.toml", "/etc/passwd", "texts/../../x"):
        with pytest.raises(UsageError, match="relative to corpus/"):
            R.resource_path(bad)
    with pytest.raises(UsageError, match="no packaged corpus named 'sotu'"):
        R.corpus_folder("sotu")


def test_data_dir_order_override_env_platformdirs(tmp_path, monkeypatch):
    import sys

    import platformdirs

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert R.data_dir() == Path(platformdirs.user_data_dir("r2p-analysis", appauthor=False))
    if sys.platform.startswith("linux"):  # the XDG base directory spec: $XDG_DATA_HOME/<app>
        assert R.data_dir() == tmp_path / "xdg" / "r2p-analysis"
    monkeypatch.setenv(R.ENV_DATA_DIR, str(tmp_path / "env"))
    assert R.data_dir() == tmp_path / "env"
    R.set_data_dir(tmp_path / "opt")
    assert R.data_dir() == tmp_path / "opt"
    monkeypatch.setenv(R.ENV_CORPUS_DIR, str(tmp_path / "exact"))
    assert R.corpus_folder() == tmp_path / "exact"  # R2P_CORPUS_DIR names the folder itself


def test_an_explicit_data_dir_gets_a_corpus_folder_made_from_the_resources(tmp_path):
    from analysis.corpus import load_corpus

    R.set_data_dir(tmp_path)
    folder = R.corpus_folder()
    assert folder == tmp_path / "sg-r2p"
    for name in ("manifest.csv", "manifest.schema.json", "corpus.lock", f"texts/{ANCHOR_ID}.txt"):
        assert _sha(folder / name) == _sha(CORPUS / name), name
    assert not (folder / "sources.yml").exists()  # read from the resources, never copied
    c = load_corpus("sg-r2p")
    assert c.settings["folder"] == str(folder)
    assert c.anchor == ANCHOR_ID and c.texts[ANCHOR_ID]
    assert len(c) == sum(1 for _ in open(CORPUS / "manifest.csv", encoding="utf-8")) - 1


def test_materialize_updates_untouched_copies_and_keeps_changed_ones(tmp_path):
    src = tmp_path / "pkg"
    for name in ("manifest.csv", "manifest.schema.json", "corpus.lock", "README.md", f"texts/{ANCHOR_ID}.txt"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / name, src / name)
    folder = R.materialize_corpus(tmp_path / "data", source=src)
    fetched = folder / "texts" / "fetched.txt"
    fetched.write_text("a fetched text\n")
    # a new package version changes the README and the lock; nobody touched the local README
    (src / "README.md").write_text("new README\n")
    (src / "corpus.lock").write_bytes((src / "corpus.lock").read_bytes() + b"new,,,,,,,,,,\n")
    # ... but the local lock was changed by a fetch
    (folder / "corpus.lock").write_bytes((CORPUS / "corpus.lock").read_bytes() + b"fetched,,,,,,,,,,\n")
    with pytest.warns(UserWarning, match=r"corpus.lock differs from the corpus.lock of this package version"):
        R.materialize_corpus(folder, source=src)
    assert (folder / "README.md").read_text() == "new README\n"
    assert (folder / "corpus.lock").read_bytes().endswith(b"fetched,,,,,,,,,,\n")
    assert fetched.read_text() == "a fetched text\n"
    # once the user moves the changed copy away, the packaged one comes back
    (folder / "corpus.lock").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        R.materialize_corpus(folder, source=src)
    assert _sha(folder / "corpus.lock") == _sha(src / "corpus.lock")
    with pytest.raises(UsageError, match="packaged corpus resources are missing"):
        R.materialize_corpus(tmp_path / "d2", source=tmp_path / "nothing")


def test_an_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    R.set_data_dir(blocker)
    with pytest.raises(UsageError, match=r"cannot write the corpus data folder .*--data-dir or .*R2P_DATA_DIR"):
        R.corpus_folder()


def test_cli_data_dir_option(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["corpus", "info", "--data-dir", str(tmp_path), "--no-missing"])
    assert r.exit_code == 0, r.output
    assert f"anchor {ANCHOR_ID}: available" in r.output
    assert (tmp_path / "sg-r2p" / "manifest.csv").is_file()
    r = runner.invoke(app, ["corpus", "validate", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert str(tmp_path / "sg-r2p") in r.output.replace("\n", "")
    r = runner.invoke(app, ["corpus", "fetch", "--plan", "--only", ANCHOR_ID, "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "bundled 1" in r.output
