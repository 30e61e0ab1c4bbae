"""Settings are validated as ranges, not only types (issue 27, point 5).

An empty K grid, ``k_min > k_max``, a ``k_max`` below the automatic grid's start,
``--workers`` beyond a sane bound and an ``--out`` that cannot be a folder are usage
errors (exit 2) raised before the corpus loads, naming the setting, the value and
the allowed range. The corpus given below does not exist: a run that reached the
corpus would fail with exit 1 ("no such corpus"), so exit 2 with the setting's
name shows the check came first.
"""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.errors import UsageError
from analysis.run.settings import RunSettings
from analysis.stages.topics import Settings as TopicSettings

runner = CliRunner()
NO_CORPUS = "/nonexistent/r2p-corpus-folder"


def _run(tmp_path, *args):
    return runner.invoke(app, ["run", "--corpus", NO_CORPUS, "--out", str(tmp_path / "out"), *args])


@pytest.mark.parametrize("sets, named", [
    (["topics.k_max=3"], "topics.k_max=3"),                       # the grid [4, 8, ...] cut to nothing
    (["topics.k_max=4"], "topics.k_max=4"),                       # sotu's grid starts at 5: K=3582 before
    (["topics.k_min=10", "topics.k_max=6"], "topics.k_min=10"),
    (["topics.k_min=30"], "topics.k_min=30"),                     # above the small-corpus grid's end (20)
])
def test_empty_k_grid_is_a_usage_error_before_the_corpus_loads(tmp_path, sets, named):
    res = _run(tmp_path, *[a for s in sets for a in ("--set", s)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert named in text and "need k_min <= k_max" in text and "K grid is empty" in text
    assert not (tmp_path / "out").exists()


def test_k_range_rule_in_python_and_in_r2p_settings():
    with pytest.raises(UsageError, match=r"topics.k_min=10 and topics.k_max=6: need k_min <= k_max"):
        TopicSettings.from_mapping({"k_min": 10, "k_max": 6})
    with pytest.raises(UsageError, match="need k_min <= k_max"):
        TopicSettings(k_min=8, k_max=5)            # made directly, not only through --set
    with pytest.raises(UsageError, match="need k_min <= k_max"):
        TopicSettings().replace(k_max=3)
    # valid ranges stay valid
    assert TopicSettings.from_mapping({"k_min": 2, "k_max": 4}).k_max == 4
    assert TopicSettings.from_mapping({"k_min": 3, "k_max": 3}).k_min == 3
    assert TopicSettings.from_mapping({"k_max": 30}).k_max == 30
    assert TopicSettings.from_mapping({"k_min": 6}).k_min == 6
    # the rule is declared once and shows where the settings are listed
    assert "k_min <= k_max" in TopicSettings.spec("k_min").rule
    assert "k_min <= k_max" in TopicSettings.spec("k_max").rule
    res = runner.invoke(app, ["settings", "topics", "--markdown"])
    assert res.exit_code == 0
    row = next(line for line in res.output.splitlines() if line.startswith("| `topics.k_max`"))
    assert "k_min <= k_max" in row


def test_workers_beyond_the_bound_is_a_usage_error(tmp_path):
    res = _run(tmp_path, "--workers", "100000")
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "run.workers=100000" in text and "<= 256" in text
    with pytest.raises(UsageError, match=r"run.workers=257 is out of range: allowed a whole number >= 1 and <= 256"):
        RunSettings.from_mapping({"workers": 257})
    assert RunSettings.from_mapping({"workers": 256}).workers == 256


def test_workers_bound_checked_before_a_reshaped_corpus_loads(tmp_path):
    # with --where the corpus used to be loaded before --workers was looked at
    res = _run(tmp_path, "--workers", "100000", "--where", "year > 2000")
    assert res.exit_code == 2 and "run.workers=100000" in " ".join(res.output.split())


def test_out_that_is_a_file(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    res = runner.invoke(app, ["run", "--corpus", NO_CORPUS, "--out", str(f)])
    assert res.exit_code == 2 and "is a file, not a folder" in " ".join(res.output.split())
    res = runner.invoke(app, ["run", "--corpus", NO_CORPUS, "--out", str(f / "sub")])
    assert res.exit_code == 2 and "cannot be created" in " ".join(res.output.split())
    assert f.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a 0555 folder")
def test_out_in_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        for out in (ro, ro / "new"):
            res = runner.invoke(app, ["run", "--corpus", NO_CORPUS, "--out", str(out)])
            assert res.exit_code == 2 and "not writable" in " ".join(res.output.split())
    finally:
        ro.chmod(0o755)


def test_out_not_writable_as_the_system_says(tmp_path, monkeypatch):
    """The same check where the test runs as root: the answer of ``os.access`` (a read-only mount)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p).startswith(str(ro)) and mode & os.W_OK
                        else real(p, mode, **kw))
    for out in (ro, ro / "new"):
        res = runner.invoke(app, ["run", "--corpus", NO_CORPUS, "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert "not writable" in " ".join(res.output.split())


def test_min_df_message_names_every_form():
    with pytest.raises(UsageError) as e:
        TopicSettings.from_mapping({"min_df": 1.5})
    msg = str(e.value)
    assert "topics.min_df=1.5" in msg and "a whole number >= 1" in msg and "auto" in msg
    assert "choose one of auto" not in msg
    with pytest.raises(UsageError, match=r"topics.min_df='often': expected a whole number >= 1, or auto"):
        TopicSettings.from_mapping({"min_df": "often"})
    assert TopicSettings.from_mapping({"min_df": 3}).min_df == 3
    assert TopicSettings.from_mapping({"min_df": "auto"}).min_df == "auto"
