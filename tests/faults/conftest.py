"""Fixtures of the fault-injection suite: a small CSV corpus and its cold run."""

from __future__ import annotations

import pytest

from tests.faults import harness


@pytest.fixture(scope="session")
def fault_corpus(tmp_path_factory):
    return harness.make_corpus(tmp_path_factory.mktemp("fault_corpus"))


@pytest.fixture(scope="session")
def cold(fault_corpus, tmp_path_factory):
    """The published bytes of a cold run of the suite's settings (the reference of every comparison)."""
    out = tmp_path_factory.mktemp("cold") / "out"
    harness.run(fault_corpus, out, "--no-cache")
    return harness.published(out)
