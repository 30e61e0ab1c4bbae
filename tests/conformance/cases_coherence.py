"""Topic coherence: NPMI and UMass against gensim's ``CoherenceModel``.

The data and topics are gensim's own: ``gensim.test.utils.common_texts`` (the nine
"Deerwester" titles of gensim's tutorial) and the two topic sets of gensim's
``test_coherencemodel.py``. The published values are gensim 4.4.0's
``get_coherence_per_topic()``; ``python -m tests.conformance.cases_coherence`` recomputes them
with the installed gensim.

Counting: gensim's ``c_npmi`` slides a 10-token window over each text; every text here has
at most 6 tokens, so each text is one window, which is our unit co-occurrence. gensim's
``u_mass`` adds ``1e-12 * N`` to each co-document count where Mimno et al. (2011) add 1;
:func:`~analysis.topicmod.coherence.umass_coherence` takes the smoothing as a parameter
(default 1, Mimno's), and ``1e-12 * N`` gives gensim's numbers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from analysis.topicmod.coherence import npmi_coherence, umass_coherence

from .registry import case

TOPICS1 = [["human", "computer", "system", "interface"], ["graph", "minors", "trees", "eps"]]
TOPICS2 = [["user", "graph", "minors", "system"], ["time", "graph", "survey", "minors"]]
SOURCE = ("gensim 4.4.0, CoherenceModel(...).get_coherence_per_topic() on gensim.test.utils.common_texts "
          "(common_corpus, common_dictionary) with topics1/topics2 of gensim/test/test_coherencemodel.py; "
          "recomputed by `python -m tests.conformance.cases_coherence`")
DATA_NOTE = "gensim.test.utils.common_texts (9 texts, 12 terms), topics1 + topics2 of gensim's tests"

#: ``gensim.test.utils.common_texts`` (gensim 4.4.0, ``gensim/test/utils.py``), written out so the
#: cases run where gensim is not installed (the dependency floors' job);
#: ``tests/test_coherence.py`` checks it equals gensim's (gensim is in the test extra)
COMMON_TEXTS = [
    ["human", "interface", "computer"],
    ["survey", "user", "computer", "system", "response", "time"],
    ["eps", "user", "interface", "system"],
    ["system", "human", "system", "eps"],
    ["user", "response", "time"],
    ["trees"],
    ["graph", "trees"],
    ["graph", "minors", "trees"],
    ["graph", "minors", "survey"],
]

# gensim 4.4.0's output (topics1 then topics2)
GENSIM_C_NPMI = [0.2768026848266368, -0.22115650535534148, -0.4102170815678626, -0.023973073432401026]
GENSIM_U_MASS = [-0.7607246985689725, -13.449306461738571, -17.755850069523486, -9.1907098660282]


def _common():
    common_texts = COMMON_TEXTS
    vocab = sorted({w for t in common_texts for w in t})
    idx = {w: i for i, w in enumerate(vocab)}
    rows = [r for r, t in enumerate(common_texts) for _ in t]
    cols = [idx[w] for t in common_texts for w in t]
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(common_texts), len(vocab)))
    X.sum_duplicates()
    return X, np.array(vocab)


@case(id="coherence-npmi-gensim-common-texts", family="coherence", method="NPMI coherence (c_npmi)",
      reference="gensim CoherenceModel(coherence='c_npmi')", source=SOURCE, data=DATA_NOTE,
      published={f"topics{s}[{k}]": v for (s, k), v in zip([(1, 0), (1, 1), (2, 0), (2, 1)], GENSIM_C_NPMI)},
      rtol=1e-9, atol=1e-12)
def _():
    X, vocab = _common()
    ours = np.concatenate([npmi_coherence(TOPICS1, X, vocab), npmi_coherence(TOPICS2, X, vocab)])
    return {f"topics{s}[{k}]": v for (s, k), v in zip([(1, 0), (1, 1), (2, 0), (2, 1)], ours)}


@case(id="coherence-umass-gensim-common-texts", family="coherence", method="UMass coherence (u_mass)",
      reference="gensim CoherenceModel(coherence='u_mass')", source=SOURCE,
      data=DATA_NOTE + "; ours with smoothing = 1e-12 * 9 units (gensim's), not Mimno's 1 (our default)",
      published={f"topics{s}[{k}]": v for (s, k), v in zip([(1, 0), (1, 1), (2, 0), (2, 1)], GENSIM_U_MASS)},
      rtol=1e-9)
def _():
    X, vocab = _common()
    s = 1e-12 * X.shape[0]
    ours = np.concatenate([umass_coherence(TOPICS1, X, vocab, smoothing=s),
                           umass_coherence(TOPICS2, X, vocab, smoothing=s)])
    return {f"topics{s_}[{k}]": v for (s_, k), v in zip([(1, 0), (1, 1), (2, 0), (2, 1)], ours)}


def _gensim_values() -> dict[str, list[float]]:
    from gensim.models.coherencemodel import CoherenceModel
    from gensim.test.utils import common_corpus, common_dictionary, common_texts

    out = {"c_npmi": [], "u_mass": []}
    for topics in (TOPICS1, TOPICS2):
        out["c_npmi"] += CoherenceModel(topics=topics, texts=common_texts, dictionary=common_dictionary,
                                        coherence="c_npmi", processes=1).get_coherence_per_topic()
        out["u_mass"] += CoherenceModel(topics=topics, corpus=common_corpus, dictionary=common_dictionary,
                                        coherence="u_mass", processes=1).get_coherence_per_topic()
    return {k: [float(x) for x in v] for k, v in out.items()}


if __name__ == "__main__":
    import gensim

    print(f"gensim {gensim.__version__}:", _gensim_values())
