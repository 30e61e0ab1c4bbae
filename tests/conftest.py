"""Test configuration: offline NLTK data, a headless matplotlib backend, shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_NLTK = ROOT.parent / "shared" / "nltk_data"
if "NLTK_DATA" not in os.environ and SHARED_NLTK.is_dir():
    os.environ["NLTK_DATA"] = str(SHARED_NLTK)
os.environ.setdefault("MPLBACKEND", "Agg")

ANCHOR_ID = "2017-09-06_antonio-guterres_ga-informal-dialogue"
ANCHOR_FILE = ROOT / "corpus" / "texts" / f"{ANCHOR_ID}.txt"


@pytest.fixture(scope="session")
def anchor_text() -> str:
    return ANCHOR_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sg_corpus():
    from analysis import load_corpus

    return load_corpus("sg-r2p")


@pytest.fixture(scope="session")
def inaugural():
    from analysis import load_corpus

    return load_corpus("inaugural")


@pytest.fixture(scope="session")
def small_corpus(inaugural):
    """Twelve inaugural addresses 1961-2009: small, dated, several speakers."""
    dv = inaugural.docvars
    return inaugural.subset(((dv["year"] >= 1961) & (dv["year"] <= 2009)).to_numpy())
