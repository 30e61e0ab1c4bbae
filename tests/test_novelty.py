"""Novelty, transience and resonance (Barron et al. 2018) against a direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.corpus import Corpus
from analysis.textstats.novelty import NOVELTY_COLUMNS, novelty_transience, stat_novelty

S = np.array([
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.1, 0.8],
    [0.3, 0.3, 0.4],
])


def _kl_bits(p, q):
    return sum(pi * np.log2(pi / qi) for pi, qi in zip(p, q))


def test_hand_example_window_1_and_2():
    r1 = novelty_transience(S, window=1)
    # document 2 (0-based): novelty = KL(s2 || s1), transience = KL(s2 || s3)
    assert r1.novelty[2] == pytest.approx(_kl_bits(S[2], S[1]))
    assert r1.transience[2] == pytest.approx(_kl_bits(S[2], S[3]))
    assert r1.resonance[2] == pytest.approx(_kl_bits(S[2], S[1]) - _kl_bits(S[2], S[3]))
    assert np.isnan(r1.novelty[0]) and np.isnan(r1.transience[4])
    r2 = novelty_transience(S, window=2)
    n2 = (_kl_bits(S[2], S[1]) + _kl_bits(S[2], S[0])) / 2
    t2 = (_kl_bits(S[2], S[3]) + _kl_bits(S[2], S[4])) / 2
    assert r2.novelty[2] == pytest.approx(n2)
    assert r2.transience[2] == pytest.approx(t2)
    assert r2.resonance[2] == pytest.approx(n2 - t2)
    assert r2.novelty.isna().tolist() == [True, True, False, False, False]
    assert r2.transience.isna().tolist() == [False, False, False, True, True]
    # natural-log base
    rn = novelty_transience(S, window=1, base=np.e)
    assert rn.novelty[1] == pytest.approx(_kl_bits(S[1], S[0]) * np.log(2))


def test_bad_input():
    with pytest.raises(ValueError, match="window"):
        novelty_transience(S, window=0)
    with pytest.raises(ValueError, match="non-empty"):
        novelty_transience(np.zeros((3, 2)), window=1)


def _corpus(texts):
    n = len(texts)
    dv = pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)],
                       "date": [f"{2000 + i}-01-01" for i in range(n)],
                       "year": [2000 + i for i in range(n)], "speaker": ["X"] * n})
    return Corpus("toy", dv, {f"d{i}": t for i, t in enumerate(texts)})


def test_planted_shift_is_novel_and_on_topics():
    # the vocabulary shifts at document 5 and stays: that document is novel, not transient
    old = "peace security development cooperation dialogue " * 20
    new = "atrocity genocide prevention protection civilians " * 20
    texts = [old] * 5 + [new] * 5
    c = _corpus(texts)
    res = stat_novelty(c, window=2, min_df=1)
    assert list(res.columns) == ["doc_id", "date", "year", "speaker", *NOVELTY_COLUMNS[1:]]
    assert (res.basis == "terms").all()
    assert res.novelty.idxmax() == 5
    assert res.resonance[5] > 0
    assert res.transience.idxmax() == 4
    # topic mixtures when given
    topics = pd.DataFrame([(f"d{i}", k, S[i % 5][k]) for i in range(10) for k in range(3)],
                          columns=["doc_id", "topic", "share"])
    rt = stat_novelty(c, window=1, document_topics=topics, topic_smoothing=0)
    assert (rt.basis == "topics").all()
    assert rt.novelty[3] == pytest.approx(_kl_bits(S[3], S[2]))
    # exact zeros (NMF) stay finite with the default mixing toward uniform
    zeros = topics.assign(share=np.where(topics.topic == 0, 0.0, topics.share))
    rz = stat_novelty(c, window=1, document_topics=zeros)
    assert np.isfinite(rz.novelty[1:]).all() and np.isfinite(rz.transience[:-1]).all()
    lam = 1e-3
    s3, s2 = (1 - lam) * S[3] + lam / 3, (1 - lam) * S[2] + lam / 3
    assert stat_novelty(c, window=1, document_topics=topics).novelty[3] == pytest.approx(_kl_bits(s3, s2))
    # too few documents: empty table with the columns
    assert stat_novelty(_corpus([old]), window=3).empty
    with pytest.raises(ValueError, match="no mixture"):
        stat_novelty(c, window=1, document_topics=topics[topics.doc_id != "d3"])


def test_topic_similarity_to_anchor_matches_scipy():
    from scipy.spatial.distance import jensenshannon

    from analysis.textstats.novelty import stat_topic_similarity_to_anchor

    c = _corpus(["a b c"] * 5)
    Z = S.copy()
    Z[4] = [0.5, 0.5, 0.0]          # an exact zero (NMF)
    topics = pd.DataFrame([(f"d{i}", k, Z[i][k]) for i in range(5) for k in range(3)],
                          columns=["doc_id", "topic", "share"])
    js = stat_topic_similarity_to_anchor(c, topics, anchor="d2")
    for i in range(5):
        d = jensenshannon(Z[i], Z[2], base=2)
        assert js.js_distance[i] == pytest.approx(d, abs=1e-12)
        assert js.js_divergence[i] == pytest.approx(d ** 2, abs=1e-12)
    assert js.js_distance[2] == 0


def test_novelty_stage_uses_topics_when_the_topics_stage_wrote_them(tmp_path, monkeypatch):
    from analysis.run import runner as pipeline

    texts = [("peace security development " * 10) if i % 2 else ("genocide atrocity prevention " * 10)
             for i in range(6)]
    c = _corpus(texts)
    mix = np.array([[0.8, 0.2], [0.3, 0.7]])

    import analysis.stages.topics as T

    def fake_topics(ctx, cfg):
        dv = ctx.corpus.docvars.set_index("doc_id")
        rows = [(d, dv.at[d, "year"], dv.at[d, "date"], k, mix[i % 2][k])
                for i, d in enumerate(ctx.corpus.doc_ids) for k in range(2)]
        ctx.write_table("document_topics", pd.DataFrame(rows, columns=["doc_id", "year", "date", "topic", "share"]))

    from analysis.run.steps import Step

    # the topics stage as one step writing the stage's tables (only document_topics here)
    monkeypatch.setattr(T, "STEPS", (Step("topics", fake_topics, writes=tuple(T.PRODUCES)),))
    ctx = pipeline.run_pipeline(c, out=tmp_path, only=["topics", "novelty"], use_cache=False,
                                verbose=False, progress=False, overrides={"novelty": {"window": 1}})
    assert ctx.errors == []
    nov = ctx.tables["novelty"]
    assert (nov.basis == "topics").all()
    lam = 1e-3
    s0, s1 = (1 - lam) * mix[0] + lam / 2, (1 - lam) * mix[1] + lam / 2
    assert nov.novelty[2] == pytest.approx(_kl_bits(s0, s1))
    js = ctx.tables["topic_similarity_to_anchor"]
    assert len(js) == 6 and js.js_divergence[5] == 0      # anchor: the most recent document
    assert (tmp_path / "tables" / "topic_similarity_to_anchor.csv").exists()
