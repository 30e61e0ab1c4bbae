"""Hostile corpora and inputs (issue 27, points 3 and 4, and the `--where` and export rows).

- A corpus cannot read outside itself: a manifest ``text_file`` of ``../../etc/passwd``,
  an absolute path, or a symbolic link out of the corpus folder is refused with the
  row and the path, and ``r2p corpus validate`` reports it as an error; a UNGDC or
  UNSC speech file that is a link to a file outside the release is not loaded.
- ``--where`` with thousands of nested ``not`` is a usage error, not a RecursionError.
- Spreadsheet formulas in docvars stay verbatim in exports by default (data
  round-trip) and are neutralised with the opt-in ``formula_escape``.

The "outside" file is a file of the test's own temporary folder, never a system file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.corpus import CorpusError, load_corpus
from analysis.loaders.folder import load_manifest_folder
from analysis.manifest import validate_manifest

runner = CliRunner()
SECRET = "SECRET-OUTSIDE-THE-CORPUS root:x:0:0"

symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="needs symbolic links")


def _folder(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    """A corpus folder ``corpus/`` with a good text and the given (doc_id, text_file) rows,
    beside ``outside/secret.txt`` (in the test's folder, outside the corpus)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "corpus"
    (folder / "texts").mkdir(parents=True)
    (folder / "texts" / "good.txt").write_text("A speech about prevention and protection.", encoding="utf-8")
    df = pd.DataFrame([("good", "texts/good.txt"), *rows], columns=["doc_id", "text_file"])
    df["year"] = [2000 + i for i in range(len(df))]
    df.to_csv(folder / "manifest.csv", index=False)
    return folder


def _depth_to_root(folder: Path) -> str:
    return "../" * len(folder.resolve().parts)


def _assert_refused(folder: Path, doc_id: str, line: int):
    c = load_manifest_folder(folder)
    assert SECRET not in "".join(c.texts.values())
    assert doc_id not in c.texts and "good" in c.texts
    refused = c.issues[c.issues["action"] == "refused"]
    assert len(refused) == 1 and refused["severity"].iloc[0] == "error"
    msg = refused["problem"].iloc[0]
    assert f"row {line} ({doc_id})" in msg and "outside the corpus folder" in msg
    with pytest.raises(CorpusError, match=rf"row {line} \({doc_id}\).*outside the corpus folder"):
        load_manifest_folder(folder, strict=True)
    probs = [p for p in validate_manifest(folder) if p.severity == "error"]
    assert any(p.row == line and p.column == "text_file" and "outside the corpus folder" in p.message for p in probs)
    res = runner.invoke(app, ["corpus", "validate", "--corpus", str(folder)])
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    assert "outside the corpus folder" in out and f"line {line}" in out and "1 error(s)" in out


def test_manifest_dotdot_path_is_refused(tmp_path):
    folder = _folder(tmp_path, [("evil", "../outside/secret.txt")])
    _assert_refused(folder, "evil", 3)


def test_manifest_deep_dotdot_and_absolute_paths_are_refused(tmp_path):
    secret = (tmp_path / "outside" / "secret.txt")
    folder = _folder(tmp_path, [("evil", _depth_to_root(tmp_path / "corpus") + str(secret.resolve()).lstrip("/"))])
    _assert_refused(folder, "evil", 3)
    df = pd.read_csv(folder / "manifest.csv")
    df.loc[1, "text_file"] = str(secret.resolve())
    df.to_csv(folder / "manifest.csv", index=False)
    _assert_refused(folder, "evil", 3)


@symlinks
def test_manifest_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = _folder(tmp_path, [("evil", "texts/evil.txt")])
    (folder / "texts" / "evil.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    _assert_refused(folder, "evil", 3)


@symlinks
def test_symlinked_folder_out_of_the_corpus_is_refused(tmp_path):
    folder = _folder(tmp_path, [("evil", "more/secret.txt")])
    (folder / "more").symlink_to(tmp_path / "outside", target_is_directory=True)
    _assert_refused(folder, "evil", 3)


@symlinks
def test_links_inside_the_folder_and_a_linked_corpus_folder_still_load(tmp_path):
    folder = _folder(tmp_path, [("alias", "texts/alias.txt")])
    (folder / "texts" / "alias.txt").symlink_to(folder / "texts" / "good.txt")
    link = tmp_path / "corpus_link"
    link.symlink_to(folder, target_is_directory=True)
    for f in (folder, link):
        c = load_manifest_folder(f)
        assert set(c.texts) == {"good", "alias"} and not len(c.issues)
        assert not [p for p in validate_manifest(f) if p.severity == "error"]
    from analysis.loaders.base import outside_folder

    assert outside_folder(folder / "texts" / "good.txt", link) is None


@symlinks
def test_ungdc_named_symlink_to_an_outside_file_is_not_a_speech(tmp_path):
    from tests.test_loaders_ungdc import release_files, write_tree

    root = write_tree(tmp_path / "rel", release_files())
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    session = next((root / "TXT").iterdir())
    year = session.name.split(" - ")[1]
    num = session.name.split()[1]
    evil = session / f"ZZZ_{num}_{year}.txt"
    evil.symlink_to(tmp_path / "outside" / "secret.txt")
    c = load_corpus(root)
    assert f"ZZZ_{int(num)}_{year}" not in c.texts and SECRET not in "".join(c.texts.values())
    refused = c.issues[c.issues["action"] == "refused"]
    assert len(refused) == 1 and str(evil) in refused["file"].iloc[0]
    assert "outside the corpus folder" in refused["problem"].iloc[0]
    res = runner.invoke(app, ["corpus", "validate", "--corpus", str(root)])
    assert res.exit_code == 1 and "outside the corpus folder" in " ".join(res.output.split())


@symlinks
def test_unsc_speech_symlink_to_an_outside_file_is_not_loaded(tmp_path):
    from tests.test_loaders_unsc import write_schoenfeld

    root = write_schoenfeld(tmp_path / "unsc", tar=False)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    target = root / "speeches" / "UNSC_2014_SPV.7155_spch004.txt"
    target.unlink()
    target.symlink_to(tmp_path / "outside" / "secret.txt")
    c = load_corpus(root)
    assert SECRET not in "".join(c.texts.values()) and "UNSC_2014_SPV.7155_spch004" not in c.texts
    assert (c.issues["action"] == "refused").sum() == 1


# ------------------------------------------------------------------- --where nesting
@pytest.mark.parametrize("n", [101, 1000, 5000, 30000])
def test_deeply_nested_where_is_a_usage_error(n):
    from analysis.errors import UsageError
    from analysis.reshape import WHERE_MAX_DEPTH, corpus_subset, parse_where

    expr = "not " * n + "year > 2000"
    with pytest.raises(UsageError, match=r"nested more than 100 levels deep .* or longer than 100,000 characters") as e:
        parse_where(expr)
    assert len(str(e.value)) < 400  # the expression is not echoed whole
    # the deepest allowed still works, and gives the right documents
    ok = "not " * (WHERE_MAX_DEPTH - 2) + "year > 2000"  # an even number of not: year > 2000
    import analysis.corpus as C

    docs = pd.DataFrame({"doc_id": ["a", "b"], "year": [1999, 2001]})
    c = C.Corpus("t", docs, {"a": "x", "b": "y"})
    assert corpus_subset(c, ok).doc_ids == ["b"]


def test_deeply_nested_where_on_the_command_line(tmp_path):
    res = runner.invoke(app, ["run", "--corpus", "/nonexistent/r2p-corpus", "--out", str(tmp_path / "o"),
                              "--where", "not " * 5000 + "year > 2000"])
    assert res.exit_code == 2, res.output
    assert "nested more than 100 levels deep" in " ".join(res.output.split())
    assert "Traceback" not in res.output
