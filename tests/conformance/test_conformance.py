"""Every registered conformance case agrees with its published value (or says why not)."""

from __future__ import annotations

import pytest

from .registry import load_all

CASES = load_all()


def test_the_suite_has_cases():
    assert CASES, "no conformance case is registered (tests/conformance/cases_*.py)"


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case(case_id):
    c = CASES[case_id]
    ours = c.compute()
    ok, msg, _ = c.compare(ours)
    assert ok, f"{c.id} ({c.reference}; {c.source}): {msg}"
