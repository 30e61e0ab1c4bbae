"""Every registered conformance case agrees with its published value (or says why not)."""

from __future__ import annotations

import pytest

from .registry import load_all

CASES = load_all()


def test_the_suite_has_cases():
    assert len(CASES) >= 25, f"{len(CASES)} conformance cases; the suite promises at least 25"
    families = {c.family for c in CASES.values()}
    for family in ("keyness", "fightin words", "similarity", "collocations", "kwic", "lexical diversity",
                   "readability", "wordscores", "wordfish", "coherence", "sentiment", "topic models",
                   "bootstrap"):
        assert family in families, f"no published case for {family}"


def test_every_case_says_where_it_was_printed():
    for c in CASES.values():
        assert c.source.strip() and c.reference.strip() and c.data.strip(), c.id
        if c.check is not None:
            assert c.reason.strip(), f"{c.id}: a case judged by check= says why (reason=)"


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case(case_id):
    c = CASES[case_id]
    ours = c.compute()
    ok, msg, _ = c.compare(ours)
    assert ok, f"{c.id} ({c.reference}; {c.source}): {msg}"
