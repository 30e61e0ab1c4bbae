"""Render the conformance registry as a Markdown table (the docs' Conformance page).

``python -m tests.conformance.report [--out FILE]`` computes every case and writes one row
per case: method, reference, where it was printed, data, published value, ours, tolerance,
whether it agrees, and the note.
"""

from __future__ import annotations

import argparse
import sys

from .registry import load_all, short


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table() -> tuple[str, int]:
    cases = load_all()
    rows = ["| family | method | reference | printed in | data | published | ours | tolerance | agrees | note |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    failures = 0
    for c in sorted(cases.values(), key=lambda c: (c.family, c.id)):
        try:
            ours = c.compute()
            ok, msg, _ = c.compare(ours)
        except Exception as exc:  # noqa: BLE001 - a failing case is shown, not hidden
            ours, ok, msg = None, False, f"error: {exc}"
        failures += not ok
        note = c.reason or ("" if ok else msg)
        rows.append("| " + " | ".join(_cell(x) for x in (
            c.family, c.method, c.reference, c.source, c.data, short(c.published), short(ours),
            c.tolerance, "yes" if ok else "**no**", note)) + " |")
    return "\n".join(rows) + "\n", failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", help="write the table here (default: standard output)")
    args = ap.parse_args(argv)
    text, failures = table()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
