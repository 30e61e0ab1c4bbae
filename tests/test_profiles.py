"""The R2P study as a profile (analysis.profiles): one place for its corpus, seed, anchor and lists."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import inspect

import pytest

from analysis.errors import UsageError
from analysis.profiles import PROFILES, Profile, get_profile

from .conftest import ROOT


def _manifest_rows():
    with open(ROOT / "corpus" / "manifest.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_get_profile_and_unknown_names():
    p = get_profile()
    assert p is get_profile("r2p") is PROFILES["r2p"]
    assert isinstance(p, Profile) and p.name == "r2p"
    with pytest.raises(UsageError, match=r"no profile named 'r2q' \(did you mean 'r2p'\?\); known: r2p"):
        get_profile("r2q")


def test_anchor_and_seed_come_from_the_committed_corpus():
    p = get_profile("r2p")
    flagged = [r for r in _manifest_rows() if r["anchor"].strip().lower() == "true"]
    assert [r["doc_id"] for r in flagged] == [p.anchor]
    # the seed is the anchor's date, 6 September 2017
    assert p.seed == int(flagged[0]["date"].replace("-", "")) == 20170906
    # the anchor's packaged text is the one the lock file records
    with open(ROOT / "corpus" / "corpus.lock", encoding="utf-8", newline="") as f:
        lock = {r["doc_id"]: r for r in csv.DictReader(f)}
    assert hashlib.sha256(p.anchor_path.read_bytes()).hexdigest() == lock[p.anchor]["text_sha256"]
    assert p.anchor_path == ROOT / "corpus" / "texts" / f"{p.anchor}.txt"


def test_default_corpus_and_seed_match_the_toolkit_defaults():
    from analysis.corpus import BUILTIN_CORPORA
    from analysis.run.runner import run_pipeline

    p = get_profile()
    assert p.default_corpus == "sg-r2p" and p.default_corpus in BUILTIN_CORPORA
    assert inspect.signature(run_pipeline).parameters["seed"].default == p.seed


def test_dictionaries_load_and_the_indices_name_their_frames():
    from analysis.framing.frames import load_frames_dictionary, load_stance_dictionary

    p = get_profile()
    assert p.frames_dictionary_path == ROOT / "corpus" / "dictionaries" / "r2p_frames.yml"
    frames = load_frames_dictionary(p.frames_dictionary_path)
    stance = load_stance_dictionary(p.stance_dictionary_path)
    keys = set(frames.keys) | set(stance.keys)
    for name, (kind, a, b) in p.indices.items():
        used = [a, *(b if isinstance(b, tuple) else (b,))]
        missing = [k for k in used if k not in keys]
        assert not missing, f"index {name} names unknown frames {missing}"
        if kind == "share":
            assert a in b, f"share index {name}: its numerator must be one of its denominator's keys"


def test_kwic_patterns_each_find_the_anchor():
    import re

    p = get_profile()
    text = p.anchor_path.read_text(encoding="utf-8").lower()
    for pat in p.kwic_patterns:
        rx = r"\b" + re.escape(pat).replace(r"\*", r"\w*") + r"\b"
        assert re.search(rx, text), f"KWIC pattern {pat!r} never occurs in the anchor"


def test_profile_is_immutable_and_checks_its_indices():
    p = get_profile()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.indices["new"] = ("balance", "a", "b")  # type: ignore[index]
    assert hash(p) == hash(dataclasses.replace(p))
    with pytest.raises(UsageError, match="index 'bad' must be"):
        dataclasses.replace(p, indices={"bad": ("ratio", "a", "b")})
