"""Seeded generators of synthetic corpora with known structure, for validating methods.

``simulate_topic_corpus`` draws speeches from known topics whose prevalence drifts
across years (the generative process of LDA with a time-varying prior mean, as in
the structural topic model), so tests can check that a topic model recovers both
the topics and the drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SimulatedTopicCorpus", "pseudo_words", "simulate_topic_corpus"]

_CONSONANTS = list("bdfgklmnprstvz")
_VOWELS = list("aeiou")


def pseudo_words(n: int, random_state: int = 0, syllables: int = 3) -> list[str]:
    """``n`` distinct pronounceable lowercase pseudo-words (CV syllables), seeded.

    Six-letter CVCVCV strings are not English stopwords and survive the
    tokenizer's alphabetic filter unchanged.
    """
    rng = np.random.default_rng(random_state)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        c = rng.integers(0, len(_CONSONANTS), size=(n, syllables))
        v = rng.integers(0, len(_VOWELS), size=(n, syllables))
        for ci, vi in zip(c, v):
            w = "".join(_CONSONANTS[a] + _VOWELS[b] for a, b in zip(ci, vi))
            if w not in seen:
                seen.add(w)
                out.append(w)
                if len(out) == n:
                    break
    return out


@dataclass
class SimulatedTopicCorpus:
    """A synthetic corpus and the truth it was drawn from.

    Attributes
    ----------
    units : DataFrame
        One row per paragraph: unit_id, doc_id, position, n_tokens, text, date, year, speaker.
    docvars : DataFrame
        One row per document: doc_id, date, year, speaker, available.
    texts : dict
        doc_id -> full text (paragraphs separated by blank lines).
    vocabulary : list of str
    topic_word : ndarray (K, V)
        True topic-word distributions (columns follow ``vocabulary``).
    unit_topic_counts : ndarray (n_units, K)
        Number of tokens each unit drew from each topic.
    expected_prevalence : DataFrame
        year, topic, share: the prior mean topic mixture of each year.
    realized_prevalence : DataFrame
        year, topic, share: share of the year's tokens drawn from each topic.
    """

    units: pd.DataFrame
    docvars: pd.DataFrame
    texts: dict
    vocabulary: list
    topic_word: np.ndarray
    unit_topic_counts: np.ndarray
    expected_prevalence: pd.DataFrame
    realized_prevalence: pd.DataFrame
    params: dict = field(default_factory=dict)

    def to_corpus(self, name: str = "simulated"):
        """The documents as an :class:`analysis.corpus.Corpus` (paragraphs separated by blank lines)."""
        from analysis.corpus import Corpus

        return Corpus(name, self.docvars.copy(), dict(self.texts), None, {"loader": "simulate"})


def simulate_topic_corpus(
    n_topics: int = 5,
    years: tuple[int, int] = (2005, 2024),
    docs_per_year: int = 8,
    paragraphs_per_doc: tuple[int, int] = (4, 9),
    words_per_paragraph: tuple[int, int] = (40, 90),
    vocab_size: int = 400,
    topic_word_concentration: float = 0.05,
    doc_concentration: float = 20.0,
    unit_concentration: float = 1.0,
    drift: float = 2.5,
    speakers: tuple[str, ...] = ("Speaker A", "Speaker B"),
    random_state: int = 0,
) -> SimulatedTopicCorpus:
    """Draw a corpus of dated speeches from known topics with drifting prevalence.

    Generative process (LDA with a time-varying Dirichlet mean, cf. the STM):

    1. Topic-word distributions ``phi_k ~ Dirichlet(topic_word_concentration)``.
    2. Year ``t`` (scaled to ``s in [0, 1]``) has mean mixture
       ``m(t) = softmax(a_k + drift * b_k * (s - 0.5) + 0.5 * drift * c_k * sin(pi s))``
       with ``a, b, c ~ Normal(0, 1)`` drawn once: smooth, topic-specific trends.
    3. Document ``d`` in year ``t``: ``theta_d ~ Dirichlet(doc_concentration * m(t))``.
    4. Paragraph ``u`` of ``d``: ``theta_u ~ Dirichlet(unit_concentration * K * theta_d)``,
       then each word draws ``z ~ theta_u`` and ``w ~ phi_z``.

    Parameters
    ----------
    n_topics : int
    years : (first, last)
        Inclusive range of years.
    docs_per_year : int
    paragraphs_per_doc, words_per_paragraph : (low, high)
        Inclusive ranges, drawn uniformly.
    vocab_size : int
    topic_word_concentration : float
        Smaller values give sparser, more distinct topics.
    doc_concentration : float
        How closely documents follow the year's mean mixture.
    unit_concentration : float
        Per-topic Dirichlet mass of paragraphs around their document's mixture
        (smaller = paragraphs concentrate on fewer topics).
    drift : float
        Strength of the change of prevalence over time (0 = no drift).
    speakers : tuple of str
        Speakers in turn: documents in the first half of the period get the first, etc.
    random_state : int
        Seed; the same seed gives identical output.

    Returns
    -------
    SimulatedTopicCorpus

    References
    ----------
    Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation.
    *Journal of Machine Learning Research*, 3, 993-1022.
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. *American Journal of Political
    Science*, 58(4), 1064-1082.
    """
    if n_topics < 2:
        raise ValueError("n_topics must be at least 2")
    if years[1] < years[0]:
        raise ValueError(f"years must be (first, last) with first <= last, got {years}")
    rng = np.random.default_rng(random_state)
    K, V = n_topics, vocab_size
    vocab = pseudo_words(V, random_state=random_state)
    phi = rng.dirichlet(np.full(V, topic_word_concentration), size=K)
    a, b, c = rng.normal(size=(3, K))
    year_list = list(range(years[0], years[1] + 1))
    span = max(years[1] - years[0], 1)
    mean_mix = {}
    for y in year_list:
        s = (y - years[0]) / span
        eta = a + drift * b * (s - 0.5) + 0.5 * drift * c * np.sin(np.pi * s)
        e = np.exp(eta - eta.max())
        mean_mix[y] = e / e.sum()

    unit_rows, doc_rows, texts, counts = [], [], {}, []
    doc_no = 0
    for y in year_list:
        for j in range(docs_per_year):
            doc_no += 1
            doc_id = f"sim{doc_no:04d}"
            month, day = 1 + (j * 12) // docs_per_year, 1 + (j * 7) % 28
            date = f"{y:04d}-{month:02d}-{day:02d}"
            speaker = speakers[min(int((y - years[0]) / (span + 1) * len(speakers)), len(speakers) - 1)]
            theta_d = rng.dirichlet(np.maximum(doc_concentration * mean_mix[y], 1e-3))
            n_par = int(rng.integers(paragraphs_per_doc[0], paragraphs_per_doc[1] + 1))
            paras = []
            for p in range(n_par):
                theta_u = rng.dirichlet(np.maximum(unit_concentration * K * theta_d, 1e-3))
                n_w = int(rng.integers(words_per_paragraph[0], words_per_paragraph[1] + 1))
                z = rng.choice(K, size=n_w, p=theta_u)
                zc = np.bincount(z, minlength=K)
                words = np.empty(n_w, dtype=object)
                for k in np.flatnonzero(zc):
                    words[z == k] = rng.choice(V, size=zc[k], p=phi[k])
                text = " ".join(vocab[w] for w in words) + "."
                paras.append(text)
                counts.append(zc)
                unit_rows.append((f"{doc_id}#p{p + 1}", doc_id, p, n_w, text, date, y, speaker))
            texts[doc_id] = "\n\n".join(paras)
            doc_rows.append((doc_id, date, y, speaker, True))

    units = pd.DataFrame(
        unit_rows,
        columns=["unit_id", "doc_id", "position", "n_tokens", "text", "date", "year", "speaker"],
    )
    docvars = pd.DataFrame(doc_rows, columns=["doc_id", "date", "year", "speaker", "available"])
    counts = np.vstack(counts)
    exp_rows = [(y, k + 1, float(mean_mix[y][k])) for y in year_list for k in range(K)]
    by_year = pd.DataFrame(counts, columns=range(1, K + 1)).groupby(units["year"].to_numpy()).sum()
    real = by_year.div(by_year.sum(axis=1), axis=0)
    real_rows = [(int(y), int(k), float(real.loc[y, k])) for y in real.index for k in real.columns]
    return SimulatedTopicCorpus(
        units=units,
        docvars=docvars,
        texts=texts,
        vocabulary=vocab,
        topic_word=phi,
        unit_topic_counts=counts,
        expected_prevalence=pd.DataFrame(exp_rows, columns=["year", "topic", "share"]),
        realized_prevalence=pd.DataFrame(real_rows, columns=["year", "topic", "share"]),
        params={"n_topics": K, "years": years, "docs_per_year": docs_per_year, "vocab_size": V,
                    "drift": drift, "random_state": random_state},
    )
