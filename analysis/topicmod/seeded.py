"""Seeded topics: each key of a dictionary anchors one topic through a prior on its seed words.

:class:`SeededLDA` is LDA by collapsed Gibbs sampling (tomotopy) whose topic-word
prior is asymmetric: topic ``j`` (for dictionary key ``j``) gives each of its seed
words the prior weight ``seed_weight`` and every other topic gives that word
``other_weight`` (near zero), while non-seed words keep the symmetric ``eta``
(tomotopy's ``set_word_prior``). This is the seed-word prior of Jagarlamudi,
Daume & Udupa (2012), not the keyword/background mixture of keyATM (Eshima, Imai
& Sasaki 2024), whose validation design (planted topics identified by a few
keywords) the tests follow. Free topics (``n_free``) get no seeds.

Seed words come from any :class:`analysis.framing.dictionary.Dictionary` (the R2P
frames by default): each entry is matched against the model vocabulary with the
project's one pattern language (:mod:`analysis.patterns`, as the dictionary counts:
``*`` and ``?`` globs over the whole word, case folding); each part of a
multi-word entry is such a pattern and seeds the vocabulary words it matches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import UsageError
from analysis.patterns import compile_patterns, phrase
from analysis.topicmod.gibbs import TomotopyEstimator

__all__ = ["DEFAULT_SEEDS", "SeededLDA", "seed_words", "stat_seeded_topic_terms"]

#: The R2P frames dictionary shipped with the project.
DEFAULT_SEEDS = Path(__file__).resolve().parents[2] / "corpus" / "dictionaries" / "r2p_frames.yml"


def seed_words(dictionary, terms, levels: int | None = None) -> dict[str, list[str]]:
    """Vocabulary terms matched by each dictionary key (keys in file order; empty keys dropped).

    ``dictionary`` is a Dictionary, a path to a YAML/LIWC file or a mapping
    ``key -> list of words``; ``levels`` truncates keys (1: frame families).
    """
    from analysis.framing.dictionary import Dictionary, read_dictionary

    if dictionary is None:
        dictionary = DEFAULT_SEEDS
    if isinstance(dictionary, (str, Path)):
        dictionary = read_dictionary(dictionary)
    elif not isinstance(dictionary, Dictionary):
        dictionary = Dictionary({k: {"terms": list(v)} for k, v in dict(dictionary).items()}, name="<seeds>")
    if levels is not None:
        dictionary = dictionary.flatten(levels)
    keys = dictionary.keys
    out: dict[str, list[str]] = {k: [] for k in keys}
    terms = [str(t) for t in terms]
    # one pattern per (key, entry part); one-part entries first, then the parts of phrases
    single, multi, excl = [], [], []
    for ki, key in enumerate(keys):
        for entry in dictionary.entries(key):
            parts = phrase(entry)
            (single if len(parts) == 1 else multi).extend((ki, w) for w in parts)
        excl.extend((ki, e) for e in dictionary.exclusions(key) if len(phrase(e)) == 1)
    sets = [(pairs, compile_patterns([w for _, w in pairs])) for pairs in (single, multi, excl)]
    (_, xset) = sets[2]
    for pairs, pset in sets[:2]:
        for t in terms:
            dropped = {excl[i][0] for i in xset.first(t)}   # a one-word exclusion of the key
            for i in pset.first(t):
                key = keys[pairs[i][0]]
                if pairs[i][0] not in dropped and t not in out[key]:
                    out[key].append(t)
    return {k: v for k, v in out.items() if v}


class SeededLDA(TomotopyEstimator):
    """LDA with one seeded topic per dictionary key plus ``n_free`` unseeded topics.

    Parameters
    ----------
    seeds : Dictionary, path, mapping or None
        The seed dictionary (None: the R2P frames, ``corpus/dictionaries/r2p_frames.yml``).
    n_free : int
        Topics without seeds.
    levels : int or None
        Truncate dictionary keys to this depth before seeding (1: families).
    seed_weight, other_weight : float
        Prior weight of a seed word in its own topic and in every other topic.
    random_state, max_iter, workers, infer_iter, topic_word_prior, doc_topic_prior, optim_interval
        As :class:`analysis.topicmod.gibbs.GibbsLDA`.

    Attributes
    ----------
    seeded_key_ : list of str or None
        Dictionary key of each reported topic (None for free topics). Seeded topics
        come first in dictionary order, then free topics by prevalence.
    seed_words_ : dict
        Key -> seed words found in the vocabulary.
    n_components : int
        Set by ``fit`` (number of keys with seeds + ``n_free``).

    References
    ----------
    Jagarlamudi, J., Daume III, H., & Udupa, R. (2012). Incorporating lexical priors
    into topic models. *EACL*, 204-213.
    Eshima, S., Imai, K., & Sasaki, T. (2024). Keyword-assisted topic models.
    *American Journal of Political Science*, 68(2), 730-750.
    """

    method = "seeded_lda"

    def __init__(self, seeds=None, n_free: int = 5, levels: int | None = None, seed_weight: float = 1.0,
                 other_weight: float = 1e-4, random_state: int | None = 0, max_iter: int = 500, workers: int = 1,
                 infer_iter: int = 100, topic_word_prior: float = 0.01, doc_topic_prior: float = 0.1,
                 optim_interval: int = 10):
        self.seeds = seeds
        self.n_free = n_free
        self.levels = levels
        self.seed_weight = seed_weight
        self.other_weight = other_weight
        self.random_state = random_state
        self.max_iter = max_iter
        self.workers = workers
        self.infer_iter = infer_iter
        self.topic_word_prior = topic_word_prior
        self.doc_topic_prior = doc_topic_prior
        self.optim_interval = optim_interval

    def fit(self, X, y=None, terms=None):
        from analysis.topicmod.gibbs import as_counts

        M, t = as_counts(X, terms)
        self.seed_words_ = seed_words(self.seeds, t, self.levels)
        if not self.seed_words_:
            raise UsageError("no dictionary entry matches a term of the vocabulary: check the dictionary "
                             "and the text settings (stemming changes the terms)")
        if int(self.n_free) < 0:
            raise UsageError(f"n_free must be >= 0, got {self.n_free}")
        self.n_components = len(self.seed_words_) + int(self.n_free)
        return super().fit(M, terms=t)

    def _make_model(self, tp, K, seed):
        return tp.LDAModel(k=K, alpha=float(self.doc_topic_prior), eta=float(self.topic_word_prior), seed=seed)

    def _before_train(self, mdl, terms):
        mdl.optim_interval = int(self.optim_interval)
        K = int(self.n_components)
        owner: dict[str, list[int]] = {}
        for j, words in enumerate(self.seed_words_.values()):
            for w in words:
                owner.setdefault(w, []).append(j)
        for w, js in owner.items():
            prior = [float(self.other_weight)] * K
            for j in js:
                prior[j] = float(self.seed_weight)
            mdl.set_word_prior(w, prior)
        self._owner = owner

    def _eta_matrix(self, mdl, terms):
        K = int(self.n_components)
        eta = np.full((K, len(terms)), float(mdl.eta))
        col = {w: j for j, w in enumerate(terms)}
        for w, js in self._owner.items():
            eta[:, col[w]] = float(self.other_weight)
            eta[js, col[w]] = float(self.seed_weight)
        return eta

    def _topic_order(self, phi, prev, terms):
        n_seeded = len(self.seed_words_)
        free = np.arange(n_seeded, len(prev))
        free = free[np.lexsort((terms[np.argmax(phi[free], axis=1)], -np.round(prev[free], 10)))]
        order = np.concatenate([np.arange(n_seeded), free]).astype(int)
        keys = list(self.seed_words_)
        self.seeded_key_ = [keys[i] if i < n_seeded else None for i in order]
        return order


def stat_seeded_topic_terms(fit: SeededLDA, n: int = 20) -> pd.DataFrame:
    """Top ``n`` terms of every topic: ``model, k, topic, seeded_key, rank, term, weight, is_seed``."""
    rows = []
    for j, row in enumerate(fit.components_):
        key = fit.seeded_key_[j]
        seeds = set(fit.seed_words_.get(key, ())) if key else set()
        for r, i in enumerate(np.argsort(-row, kind="stable")[:n]):
            rows.append((fit.method, int(fit.n_components), j + 1, key, r + 1, str(fit.terms_[i]),
                         float(row[i]), str(fit.terms_[i]) in seeds))
    return pd.DataFrame(rows, columns=["model", "k", "topic", "seeded_key", "rank", "term", "weight", "is_seed"])
