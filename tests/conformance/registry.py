"""The conformance registry: each case is a number (or a vector) printed by a reference
implementation or a paper, on data the project did not make, and the toolkit's own
computation of it.

A case records where the published value was printed (repository, path and commit or
version; or paper and table), the data, the tolerance, and, where the project differs on
purpose, why. ``tests/conformance/test_conformance.py`` runs every case; the docs'
Conformance page is generated from the same registry (``python -m tests.conformance.report``),
so the table cannot drift from the tests.

Writing a case::

    @case(id="keyness-chi2-postwar", family="keyness", method="chi2 keyness",
          reference="quanteda.textstats textstat_keyness()",
          source="quanteda/quanteda.textstats man/textstat_keyness.Rd @ <commit>",
          data="data_corpus_inaugural, post-1945 vs the rest",
          published=[...], rtol=1e-4)
    def _():
        return ours  # same shape as ``published``

``published`` and the return value are a number, a sequence of numbers, or a mapping of
labels to numbers (compared key by key). ``rtol``/``atol`` follow :func:`numpy.isclose`.
A case whose agreement is judged otherwise (say "ours reaches a higher log-likelihood")
passes ``check=`` a callable ``(ours, published) -> (ok, message)``.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FAMILIES = (
    "keyness", "fightin words", "similarity", "collocations", "kwic", "lexical diversity",
    "readability", "units", "wordscores", "wordfish", "coherence", "sentiment",
    "topic models", "bootstrap", "novelty", "dictionary",
)


@dataclass
class Case:
    """One published number and how the toolkit computes it."""

    id: str
    family: str
    method: str
    reference: str
    source: str
    data: str
    published: Any
    compute: Callable[[], Any]
    rtol: float = 0.0
    atol: float = 0.0
    reason: str = ""
    check: Callable[[Any, Any], tuple[bool, str]] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tolerance(self) -> str:
        if self.check is not None:
            return "see note"
        parts = []
        if self.rtol:
            parts.append(f"rel {self.rtol:g}")
        if self.atol:
            parts.append(f"abs {self.atol:g}")
        return " + ".join(parts) or "exact"

    def compare(self, ours: Any) -> tuple[bool, str, float]:
        """``(agrees, message, largest difference)`` of ``ours`` against ``published``."""
        if self.check is not None:
            ok, msg = self.check(ours, self.published)
            return bool(ok), msg, float("nan")
        pub_keys, pub = _flatten(self.published)
        our_keys, got = _flatten(ours)
        if pub_keys != our_keys:
            return False, f"labels differ: published {pub_keys[:5]}... ours {our_keys[:5]}...", float("inf")
        if pub.shape != got.shape:
            return False, f"shape differs: published {pub.shape}, ours {got.shape}", float("inf")
        close = np.isclose(got, pub, rtol=self.rtol, atol=self.atol, equal_nan=True)
        diff = float(np.nanmax(np.abs(got - pub))) if pub.size else 0.0
        if close.all():
            return True, f"max abs difference {diff:.3g}", diff
        bad = np.flatnonzero(~close)
        lab = [pub_keys[i] if pub_keys else i for i in bad[:5]]
        detail = ", ".join(f"{k}: published {pub[i]:.7g}, ours {got[i]:.7g}" for k, i in zip(lab, bad[:5]))
        return False, f"{len(bad)} of {pub.size} values outside {self.tolerance}: {detail}", diff


def _flatten(value: Any) -> tuple[list, np.ndarray]:
    if isinstance(value, Mapping):
        keys = list(value)
        return keys, np.asarray([float(value[k]) for k in keys], dtype=float)
    if isinstance(value, (str, bytes)):
        raise TypeError("a conformance value is a number, a sequence or a mapping")
    if isinstance(value, Sequence) or isinstance(value, np.ndarray):
        return [], np.asarray(value, dtype=float).ravel()
    return [], np.asarray([float(value)], dtype=float)


CASES: dict[str, Case] = {}


def case(*, id: str, family: str, method: str, reference: str, source: str, data: str,
         published: Any, rtol: float = 0.0, atol: float = 0.0, reason: str = "",
         check: Callable[[Any, Any], tuple[bool, str]] | None = None, tags: tuple[str, ...] = ()):
    """Register the decorated zero-argument function as the toolkit's computation of a case."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; add it to FAMILIES in {__file__}")
    if not source.strip():
        raise ValueError(f"case {id!r}: say where the published value was printed")

    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        if id in CASES:
            raise ValueError(f"conformance case {id!r} registered twice")
        CASES[id] = Case(id=id, family=family, method=method, reference=reference, source=source,
                         data=data, published=published, compute=fn, rtol=rtol, atol=atol,
                         reason=reason, check=check, tags=tuple(tags))
        return fn

    return register


def load_all() -> dict[str, Case]:
    """Import every ``cases_*.py`` module beside this file (each registers its cases)."""
    for mod in pkgutil.iter_modules([str(HERE)]):
        if mod.name.startswith("cases_"):
            importlib.import_module(f"{__package__}.{mod.name}")
    return CASES


def short(value: Any, n: int = 4) -> str:
    """A short rendering of a published or computed value for the docs table."""
    if value is None:
        return ""
    try:
        keys, arr = _flatten(value)
    except (TypeError, ValueError):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
            first = " ".join(str(x) for x in value[0])
            return f"{len(value)} rows; first: {first[:60]}"
        return str(value)[:60]
    vals = [f"{v:.6g}" if math.isfinite(v) else str(v) for v in arr[:n]]
    if keys:
        vals = [f"{k}={v}" for k, v in zip(keys[:n], vals)]
    more = f", ... ({arr.size} values)" if arr.size > n else ""
    return ", ".join(vals) + more
