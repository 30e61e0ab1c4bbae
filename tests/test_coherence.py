"""Coherence, FREX, relevance and topic matching, checked against gensim and by hand."""

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.topicmod.coherence import (
    exclusivity,
    frex_scores,
    npmi_coherence,
    relevance_scores,
    top_term_indices,
    umass_coherence,
)
from analysis.topicmod.alignment import alignment_table, match_topics, stability


def _texts(seed=0, n=120):
    """Token lists with planted co-occurrence structure."""
    rng = np.random.default_rng(seed)
    groups = [["peace", "security", "council", "mandate"], ["genocide", "atrocity", "crimes", "prevent"],
              ["sovereignty", "state", "responsibility", "protect"]]
    filler = ["year", "report", "member", "people", "world", "today", "general", "assembly"]
    texts = []
    for _ in range(n):
        g = groups[rng.integers(len(groups))]
        words = list(rng.choice(g, size=rng.integers(2, 7))) + list(rng.choice(filler, size=rng.integers(1, 6)))
        if rng.random() < 0.3:
            words += list(rng.choice(groups[rng.integers(len(groups))], size=2))
        rng.shuffle(words)
        texts.append([str(w) for w in words])
    return texts


def _matrix(texts):
    vocab = sorted({w for t in texts for w in t})
    idx = {w: i for i, w in enumerate(vocab)}
    rows, cols = [], []
    for r, t in enumerate(texts):
        for w in t:
            rows.append(r)
            cols.append(idx[w])
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
    X.sum_duplicates()
    return X, np.array(vocab)


TOPICS = [
    ["peace", "security", "council", "mandate", "year"],
    ["genocide", "atrocity", "crimes", "prevent", "report"],
    ["sovereignty", "protect", "peace", "world", "people"],
]


def test_npmi_matches_gensim_c_npmi_with_unit_windows():
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    texts = _texts()
    X, vocab = _matrix(texts)
    d = Dictionary(texts)
    longest = max(len(t) for t in texts)
    cm = CoherenceModel(topics=TOPICS, texts=texts, dictionary=d, coherence="c_npmi",
                        window_size=longest, processes=1)
    ref = np.array(cm.get_coherence_per_topic())
    ours = npmi_coherence(TOPICS, X, vocab)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)
    # gensim's default 10-token sliding window is a different estimator: documented difference
    cm10 = CoherenceModel(topics=TOPICS, texts=texts, dictionary=d, coherence="c_npmi", processes=1)
    assert np.all(np.isfinite(cm10.get_coherence_per_topic()))


def test_umass_matches_gensim_with_its_smoothing_and_mimno_by_hand():
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    texts = _texts(seed=3)
    X, vocab = _matrix(texts)
    d = Dictionary(texts)
    bow = [d.doc2bow(t) for t in texts]
    cm = CoherenceModel(topics=TOPICS, corpus=bow, dictionary=d, coherence="u_mass", processes=1)
    ref = np.array(cm.get_coherence_per_topic())
    ours = umass_coherence(TOPICS, X, vocab, smoothing=1e-12 * len(texts))
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_conformance_cases_use_gensims_common_texts():
    from gensim.test.utils import common_texts

    from tests.conformance.cases_coherence import COMMON_TEXTS

    assert COMMON_TEXTS == [list(t) for t in common_texts]


def test_umass_and_npmi_hand_worked():
    # units:      a b c
    # u1          1 1 0
    # u2          1 1 1
    # u3          1 0 0
    # u4          0 0 1
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [0, 0, 1]]))
    terms = np.array(["a", "b", "c"])
    # D(a)=3, D(b)=2, D(c)=2, D(a,b)=2, D(a,c)=1, D(b,c)=1
    # Mimno UMass for ranking a,b,c: pairs (b|a), (c|a), (c|b):
    expect = np.mean([np.log((2 + 1) / 3), np.log((1 + 1) / 3), np.log((1 + 1) / 2)])
    assert umass_coherence([["a", "b", "c"]], X, terms)[0] == pytest.approx(expect)
    # NPMI(a,b): p(a,b)=2/4, p(a)=3/4, p(b)=2/4 -> log(0.5/(0.375)) / -log(0.5)
    expect_ab = np.log(0.5 / (0.75 * 0.5)) / -np.log(0.5)
    assert npmi_coherence([["a", "b"]], X, terms, eps=0)[0] == pytest.approx(expect_ab)
    # perfectly co-occurring pair -> 1; never co-occurring -> -1 as eps -> 0
    Y = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]))
    assert npmi_coherence([[0, 1]], Y, eps=0)[0] == pytest.approx(1.0)
    assert npmi_coherence([[0, 2]], Y, eps=1e-300)[0] == pytest.approx(-1.0, abs=3e-3)
    # column indices and strings agree; unknown terms are an error naming them
    assert npmi_coherence([[0, 1, 2]], X)[0] == pytest.approx(npmi_coherence([["a", "b", "c"]], X, terms)[0])
    with pytest.raises(KeyError, match="zzz"):
        npmi_coherence([["a", "zzz"]], X, terms)


def test_frex_hand_worked_example():
    phi = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    # exclusivity: col sums 0.6, 0.4, 1.0 -> topic 1: 0.833, 0.75, 0.2 ; topic 2: 0.167, 0.25, 0.8
    # ECDF ranks within topic (V=3): topic 1 freq 3/3,2/3,1/3 ; excl 3/3,2/3,1/3
    #                                topic 2 freq (tie 1.5)/3,1.5/3,3/3 ; excl 1/3,2/3,3/3
    f = frex_scores(phi, weight=0.5)
    t1 = [1.0, 2 / 3, 1 / 3]
    h = lambda a, b: 1 / (0.5 / a + 0.5 / b)
    t2 = [h(0.5, 1 / 3), h(0.5, 2 / 3), 1.0]
    np.testing.assert_allclose(f, np.array([t1, t2]))
    # weight 1 -> pure frequency rank, weight 0 -> pure exclusivity rank
    np.testing.assert_allclose(frex_scores(phi, 1.0)[1], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(frex_scores(phi, 0.0)[1], [1 / 3, 2 / 3, 1.0])
    # exclusivity of top-2 terms with weight 0.5: topic1 mean(1, 2/3)
    assert exclusivity(phi, top_n=2, weight=0.5)[0] == pytest.approx((1 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="weight"):
        frex_scores(phi, weight=1.5)


def test_relevance_endpoints():
    phi = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    p = np.array([0.3, 0.2, 0.5])
    np.testing.assert_allclose(relevance_scores(phi, p, 1.0), np.log(phi))
    np.testing.assert_allclose(relevance_scores(phi, p, 0.0), np.log(phi / p))
    r = relevance_scores(phi, p, 0.6)
    np.testing.assert_allclose(r, 0.6 * np.log(phi) + 0.4 * np.log(phi / p))
    assert list(top_term_indices(phi, 2)[0]) == [0, 1]


def test_hungarian_recovers_planted_permutations():
    rng = np.random.default_rng(7)
    A = rng.dirichlet(np.full(300, 0.05), size=8)
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(8)
        B = A[perm] + rng.uniform(0, 1e-3, size=A.shape)
        rows, cols, sims = match_topics(A, B)
        # A[i] is B[j] where perm[j] == i
        inv = np.argsort(perm)
        assert list(cols) == list(inv[rows])
        assert sims.min() > 0.99
    # stability: permuted copies are perfectly stable; noise lowers it monotonically
    assert stability([A, A[::-1], A[np.random.default_rng(1).permutation(8)]]) == pytest.approx(1.0)
    noisy = [stability([A, A + rng.dirichlet(np.full(300, 0.05), size=8) * s]) for s in (0.1, 1.0, 10.0)]
    assert noisy[0] > noisy[1] > noisy[2]
    assert np.isnan(stability([A]))


def test_alignment_table_lists_unmatched_topics():
    rng = np.random.default_rng(0)
    A = rng.dirichlet(np.full(20, 0.1), size=3)
    B = np.vstack([A[2], A[0]])
    terms = [f"t{i}" for i in range(20)]
    df = alignment_table(A, B, terms, label_a={"model_a": "lda"})
    assert list(df.columns[:1]) == ["model_a"]
    matched = df.dropna(subset=["topic_b"])
    assert dict(zip(matched["topic_a"], matched["topic_b"])) == {1: 2, 3: 1}
    assert df["topic_b"].isna().sum() == 1
    with pytest.raises(ValueError, match="same document-term matrix"):
        match_topics(A, A[:, :5])
