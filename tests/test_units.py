"""The units frame: one validation, one input type per stat_* family, one missing-column error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dtm import build_dtm
from analysis.errors import MissingColumnsError, UsageError
from analysis.framing.dictionary import Dictionary, stat_dictionary
from analysis.textstats.keyness import stat_fightin_words, stat_keyness
from analysis.textstats.kwic import (
    stat_collocates,
    stat_collocations,
    stat_dispersion,
    stat_kwic,
    stat_kwic_dispersion,
)
from analysis.textstats.novelty import topic_matrix
from analysis.textstats.style import stat_style
from analysis.units import UNIT_COLUMNS, as_units, ends_mid_sentence, make_units, units_profile, validate_units


@pytest.fixture(scope="module")
def units(small_corpus):
    return make_units(small_corpus.available())


def test_make_units_columns_and_docvars(small_corpus, units):
    assert list(units.columns) == [*UNIT_COLUMNS, "date", "year", "speaker"]
    assert validate_units(units, doc_ids=small_corpus.doc_ids) is units
    pd.testing.assert_frame_equal(as_units(small_corpus), units)
    assert as_units(units) is units
    # docvars travel: every unit carries its document's year
    dv = small_corpus.docvars.set_index("doc_id")
    assert (units["year"].to_numpy() == dv.loc[units["doc_id"], "year"].to_numpy()).all()


@pytest.mark.parametrize("kind", ["paragraph", "document", "window"])
def test_make_units_on_blocks_of_documents_on_workers_equals_one_pass(monkeypatch, kind):
    """The units cut by blocks of documents on the run's workers (``map``) are the units of one pass,
    whatever the block size."""
    from analysis import units as U
    from analysis.corpus import Corpus
    from analysis.stats.parallel import pmap, use_workers

    rng = np.random.default_rng(3)
    words = ["peace", "war", "the", "protect", "Council.", "States,", "crisis", "prevention."]
    texts = {f"d{i:02d}": "\n\n".join(" ".join(rng.choice(words, rng.integers(3, 60)))
                                        for _ in range(rng.integers(1, 6))) for i in range(23)}
    texts["d05"] = ""  # no text: no unit
    dv = pd.DataFrame({"doc_id": list(texts), "year": 2000 + np.arange(len(texts))})
    corpus = Corpus("blocks", dv, texts)
    one = make_units(corpus, kind, window=17, min_tokens=5)
    monkeypatch.setattr(U, "UNITS_BLOCK", 4)
    with use_workers(2):
        blocks = make_units(corpus, kind, window=17, min_tokens=5, map=pmap)
    pd.testing.assert_frame_equal(one, blocks)
    assert len(one) >= 22 and "d05" not in set(one["doc_id"])


@pytest.mark.parametrize("change, message", [
    (lambda u: u.drop(columns=["n_tokens", "position"]), "lacks column(s) 'position', 'n_tokens'"),
    (lambda u: u.assign(unit_id=[u.unit_id.iloc[0]] * len(u)), "unit_id must be unique"),
    (lambda u: u.assign(position=u.position.astype(float)), "'position' must hold integers"),
    (lambda u: u.assign(n_tokens=-u.n_tokens), "n_tokens must be >= 0"),
    (lambda u: u.assign(doc_id=None), "have no doc_id"),
])
def test_validate_units_errors(units, change, message):
    with pytest.raises(UsageError) as e:
        validate_units(change(units))
    assert message in str(e.value)
    with pytest.raises(UsageError, match="not in the corpus"):
        validate_units(units, doc_ids=["someone-else"])
    with pytest.raises(UsageError, match="must be a DataFrame"):
        validate_units(units.to_dict())


def test_missing_columns_raise_one_exception_type(units, small_corpus):
    no_text = units.drop(columns="text")
    no_pos = units.drop(columns="position")
    calls = {
        "stat_kwic": lambda: stat_kwic(no_pos, "peace"),
        "stat_dispersion": lambda: stat_dispersion(no_text, "peace"),
        "stat_kwic_dispersion": lambda: stat_kwic_dispersion(no_text, "peace"),
        "stat_collocations": lambda: stat_collocations(no_text),
        "stat_collocates": lambda: stat_collocates(no_pos, "peace"),
        "stat_style": lambda: stat_style(no_text),
        "stat_dictionary": lambda: stat_dictionary(no_text, Dictionary({"p": ["peace"]})),
        "build_dtm": lambda: build_dtm(no_text),
        "topic_matrix": lambda: topic_matrix(pd.DataFrame({"doc_id": ["a"]}), ["a"]),
    }
    dtm = build_dtm(units, id_col="unit_id")
    calls["stat_keyness"] = lambda: stat_keyness(dtm, "party=a vs b")
    calls["stat_fightin_words"] = lambda: stat_fightin_words(dtm, "party=a")
    calls["DTM.group"] = lambda: dtm.group("party")
    for name, call in calls.items():
        with pytest.raises(MissingColumnsError):
            call()
    # a count statistic takes a DTM, a text statistic units
    with pytest.raises(UsageError, match="document-term matrix"):
        stat_keyness(units, "year>=1900")
    with pytest.raises(UsageError, match="units DataFrame"):
        stat_kwic(["some text"], "text")


def test_text_statistics_agree_on_units_and_corpus(small_corpus, units):
    """A Corpus is only a shortcut for its units: the same tables either way."""
    pd.testing.assert_frame_equal(stat_style(units), stat_style(small_corpus))
    pd.testing.assert_frame_equal(stat_collocations(units, min_count=2),
                                  stat_collocations(small_corpus, min_count=2))
    pd.testing.assert_frame_equal(stat_collocations(units, min_count=2),
                                  stat_collocations(units["text"].tolist(), min_count=2))
    d = Dictionary({"p": ["peace*"], "f": ["free*"]})
    pd.testing.assert_frame_equal(stat_dictionary(units, d), stat_dictionary(small_corpus, d))
    # single words: paragraph units give the document positions of whole documents
    docs = make_units(small_corpus.available(), kind="document")
    for a, b in [(units, small_corpus), (docs, small_corpus)]:
        pd.testing.assert_frame_equal(stat_dispersion(a, ["peace", "freedom"]),
                                      stat_dispersion(b, ["peace", "freedom"]))
        assert stat_kwic(a, "peace").position.tolist() == stat_kwic(b, "peace").position.tolist()


def test_kwic_context_stops_at_unit_boundaries():
    units = pd.DataFrame({"unit_id": ["d#p2", "d#p1", "e#p1"], "doc_id": ["d", "d", "e"],
                          "position": [1, 0, 0], "n_tokens": [3, 3, 2],
                          "text": ["peace for all", "war and peace", "peace now"],
                          "year": [2000, 2000, 2001]})
    k = stat_kwic(units, "peace", window=5)
    assert k[["doc_id", "year", "position", "pre", "post"]].values.tolist() == [
        ["d", 2000, 2, "war and", ""], ["d", 2000, 3, "", "for all"], ["e", 2001, 0, "", "now"]]
    d = stat_dispersion(units, "peace")
    assert d.n_tokens.tolist() == [6, 6, 2]
    assert np.allclose(d.relative_position, [2 / 6, 3 / 6, 0])
    # a phrase never spans two units
    assert stat_kwic(units, "peace peace").empty
    assert len(stat_kwic(units.assign(text="peace peace"), "peace peace")) == 3


def test_style_on_units_equals_style_of_the_raw_documents(small_corpus, units):
    """Rejoining paragraph units keeps the paragraph breaks sentence splitting uses.

    Punkt is trained on the texts as the units carry them (the unit rule joins a
    heading or "fellow citizens:" to the paragraph it opens), as stat_style does."""
    from analysis.text import paragraphs, sentence_tokenizer
    from analysis.textstats.style import STYLE_COLUMNS, punkt_training_sample, style_measures

    av = small_corpus.available()
    raw = [av.texts[d] for d in av.doc_ids]
    tok = sentence_tokenizer(punkt_training_sample(["\n\n".join(paragraphs(t)) for t in raw]))
    expected = pd.DataFrame([style_measures(t, tok) for t in raw], columns=STYLE_COLUMNS)
    got = stat_style(units)
    assert got["doc_id"].tolist() == av.doc_ids
    pd.testing.assert_frame_equal(got[STYLE_COLUMNS], expected)
    # units in any row order give the same table
    pd.testing.assert_frame_equal(stat_style(units.iloc[::-1]).set_index("doc_id").loc[av.doc_ids],
                                  got.set_index("doc_id"))


# ------------------------------------------------------------ ends mid-sentence
@pytest.mark.parametrize("text,mid", [
    ("We will act.", False), ("Will we act?", False), ("Act now!", False), ("And so on\u2026", False),
    ('He said: "Never again."', False), ("(Applause.)", False), ("**Thank you.**", False),
    ("We will act. ", False), ("", False),
    ("... aside from 25", True), ("and the", True), ("Mr. President,", True), ("Climate change", True),
    ("as follows:", True), ("the first; the second;", True), ("**Mr. President,**", True),
])
def test_ends_mid_sentence(text, mid):
    assert ends_mid_sentence(text) is mid


def test_units_profile_counts_lengths_and_cut_units():
    texts = ["One two three.", "One two three four five and", "One.", "A b c d e f g h i j k l m n o p q r s t."]
    u = pd.DataFrame({"unit_id": [f"d#p{i}" for i in range(4)], "doc_id": "d", "position": np.arange(4),
                      "n_tokens": [3, 6, 1, 20], "text": texts})
    p = units_profile(u)
    # p90 of 1, 3, 6, 20 by linear interpolation: position 0.9 * 3 = 2.7, 6 + 0.7 * 14 = 15.8
    assert p == {"units": 4, "words_median": 4.5, "words_p90": pytest.approx(15.8),
                 "words_max": 20, "mid_sentence": 1, "mid_sentence_share": 0.25}
    empty = units_profile(u.iloc[:0])
    assert empty["units"] == 0 and np.isnan(empty["mid_sentence_share"])


def test_make_units_follow_the_unit_rule(tmp_path):
    """Units of a hard-wrapped speech are its paragraphs (not its lines) and none ends mid-sentence."""
    from analysis.loaders.base import Corpus
    from analysis.text import prepare
    from tests.test_text import WRAPPED_RAW

    dv = pd.DataFrame({"doc_id": ["a", "b"], "date": ["2008-09-26"] * 2, "year": [2008, 2008],
                       "speaker": ["x", "y"], "available": [True, True]})
    c = Corpus(name="t", docvars=dv, texts={"a": prepare(WRAPPED_RAW), "b": " ".join(["One sentence here."] * 7)})
    u = make_units(c)
    assert u.groupby("doc_id").size().to_dict() == {"a": 4, "b": 3}
    assert not u["text"].map(ends_mid_sentence).any()
    never = make_units(c, unwrap="never")
    assert never.groupby("doc_id").size().to_dict() == {"a": 4, "b": 1}
    # "... prevention. 7 A/63/PV.13 26/09/2008" and "... promise. A/63/PV.13 26/09/2008"
    assert never["text"].map(ends_mid_sentence).sum() == 2
    assert make_units(c, sentences_per_unit=7)["doc_id"].tolist() == ["a"] * 4 + ["b"]


def test_corpus_info_reports_units_and_layout(tmp_path):
    """`r2p corpus info` on a UNGDC-layout folder with a hard-wrapped speech."""
    import json

    from typer.testing import CliRunner

    from analysis.cli.main import app
    from tests.test_loaders_ungdc import release_files, write_tree
    from tests.test_text import WRAPPED_RAW

    root = write_tree(tmp_path / "ungdc", release_files({"TXT/Session 63 - 2008/LIE_63_2008.txt":
                                                         WRAPPED_RAW.encode()}))
    r = CliRunner().invoke(app, ["corpus", "info", "--corpus", str(root), "--json", "--no-missing"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)["units"]
    # six one-sentence speeches (one unit each) and the wrapped speech's four paragraphs
    # the longest unit is the wrapped speech's first paragraph, 42 words (counted by hand)
    assert got["units"] == 10 and got["mid_sentence"] == 0 and got["words_max"] == 42
    assert got["layout"]["page_number"] == [1, 1] and got["layout"]["running_head"] == [2, 1]
    assert got["layout"]["document_number"] == [1, 1]
    assert got["rule"] == {"unwrap": "auto", "sentences_per_unit": 3, "max_unit_words": 400}
    r = CliRunner().invoke(app, ["corpus", "info", "--corpus", str(root), "--no-missing",
                                 "--set", "text.unwrap=never"])
    assert r.exit_code == 0 and "units ending mid-sentence" in r.output and "layout:" not in r.output
    r = CliRunner().invoke(app, ["corpus", "info", "--corpus", str(root), "--set", "topics.k=3"])
    assert r.exit_code == 2
