"""analysis.reshape: combine, subset and passages, on hand-built corpora with hand-worked answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.corpus import Corpus, CorpusError
from analysis.errors import UsageError
from analysis.reshape import (
    corpus_combine,
    corpus_passages,
    corpus_subset,
    load_corpora,
    load_reshaped,
    match_patterns,
    parse_where,
    passage_patterns,
)


def _sg() -> Corpus:
    dv = pd.DataFrame({"doc_id": ["sg17", "sg09"], "date": ["2017-09-06", "2009-07-21"],
                       "speaker": ["António Guterres", "Ban Ki-moon"], "role": ["SG", "SG"]})
    texts = {
        "sg17": "We must act early.\n\nThe responsibility to protect applies to genocide.",
        "sg09": "Opening words.\n\nR2P-related work on war crimes and crimes against humanity. And genocide.",
    }
    return Corpus("sg-r2p", dv, texts, anchor="sg17", settings={"loader": "manifest", "un_header": True})


def _states() -> Corpus:
    dv = pd.DataFrame({"doc_id": ["sg09", "FRA_65_2010", "USA_66_2011", "CHN_66_2011"],
                       "year": [2010, 2010, 2011, 2011], "speaker": ["X", "Sarkozy", "Obama", "Yang"],
                       "country_code": ["EU", "FRA", "USA", "CHN"],
                       "un_region": ["WEOG", "WEOG", "WEOG", None], "session": ["65", "65", "66", "66"]})
    texts = {"sg09": "Nothing of note.",
             "FRA_65_2010": "Intro words here.\n\nWe support the Responsibility-to-Protect and RtoP. "
                            "Ethnic cleansing must end.",
             "USA_66_2011": "Trade and growth.",
             "CHN_66_2011": "Sovereignty first. Non-interference."}
    return Corpus("/data/ungdc", dv, texts, settings={"loader": "general_debate", "un_header": True})


# ------------------------------------------------------------------ combine
def test_combine_sources_collisions_and_anchor():
    c = corpus_combine(_sg(), _states())
    assert c.name == "sg-r2p+ungdc"
    dv = c.docvars.set_index("doc_id")
    # the first corpus keeps its ids; the later collision is prefixed with its source
    assert set(dv.index) == {"sg17", "sg09", "ungdc:sg09", "FRA_65_2010", "USA_66_2011", "CHN_66_2011"}
    assert dv.loc["sg09", "source"] == "sg-r2p" and dv.loc["ungdc:sg09", "source"] == "ungdc"
    assert c.texts["ungdc:sg09"] == "Nothing of note." and c.texts["sg09"].startswith("Opening")
    # union of docvars: a column a part lacks is NA for its documents
    assert pd.isna(dv.loc["sg17", "country_code"]) and pd.isna(dv.loc["FRA_65_2010", "role"])
    assert c.anchor == "sg17"
    assert c.settings["loader"] == "combine" and c.settings["sources"] == ["sg-r2p", "ungdc"]
    assert c.settings["renamed"] == 1 and c.settings["un_header"] is True
    assert c.fingerprint() not in (_sg().fingerprint(), _states().fingerprint())


def test_combine_keeps_an_existing_source_docvar_and_takes_labels():
    st = _states()
    st.docvars["source"] = ["ungdc", "ungdc", None, "ungdc"]
    c = corpus_combine(_sg(), st)
    assert c.docvars.set_index("doc_id").loc["FRA_65_2010", "source"] == "ungdc"
    assert c.docvars.set_index("doc_id").loc["USA_66_2011", "source"] == "ungdc"  # NA takes the label
    c2 = corpus_combine(_sg(), _states(), source=["SG", "states"], name="both")
    assert sorted(c2.docvars["source"].unique()) == ["SG", "states"] and c2.name == "both"
    assert "states:sg09" in c2.doc_ids
    # the anchor comes from the first corpus that has one
    assert corpus_combine(_states(), _sg()).anchor == "sg17"


def test_combine_errors():
    with pytest.raises(CorpusError, match="already used even with the prefix"):
        corpus_combine(_sg(), _sg())
    with pytest.raises(UsageError, match="1 source label"):
        corpus_combine(_sg(), _states(), source=["a"])
    with pytest.raises(UsageError, match="at least one"):
        corpus_combine()
    one = _sg()
    assert corpus_combine(one) is one


def test_load_corpora_splits_on_plus(tmp_path):
    seen = []

    def loader(name):
        seen.append(name)
        return {"sg-r2p": _sg, "ungdc": _states}[name]()

    c = load_corpora("sg-r2p+ungdc", loader)
    assert seen == ["sg-r2p", "ungdc"] and c.name == "sg-r2p+ungdc" and "source" in c.docvars
    assert load_corpora("sg-r2p", loader).name == "sg-r2p"   # one corpus: unchanged, no source docvar
    assert "source" not in load_corpora("sg-r2p", loader).docvars
    plus = tmp_path / "a+b"
    plus.mkdir()
    got = []
    load_corpora(str(plus), lambda n: got.append(n) or _sg())
    assert got == [str(plus)]                                # an existing path with '+' is one corpus
    with pytest.raises(UsageError, match="empty part"):
        load_corpora("sg-r2p+", loader)


# ------------------------------------------------------------------- subset
@pytest.fixture
def both():
    return corpus_combine(_sg(), _states())


@pytest.mark.parametrize("expr, expected", [
    ("year>=2011", {"sg17", "USA_66_2011", "CHN_66_2011"}),
    ("year = 2010", {"ungdc:sg09", "FRA_65_2010"}),                  # '=' means '=='
    ('source == "ungdc" and un_region == "WEOG"', {"ungdc:sg09", "FRA_65_2010", "USA_66_2011"}),
    ('country_code in ("FRA","USA")', {"FRA_65_2010", "USA_66_2011"}),
    ('country_code not in ("FRA","USA")', {"ungdc:sg09", "CHN_66_2011"}),  # NA country codes never match
    ('role == "SG" or speaker == "Obama"', {"sg17", "sg09", "USA_66_2011"}),
    ("not (year >= 2010)", {"sg09"}),
    ("2010 <= year < 2011", {"ungdc:sg09", "FRA_65_2010"}),
    ("2011 <= year", {"sg17", "USA_66_2011", "CHN_66_2011"}),
    ("un_region == None", {"sg17", "sg09", "CHN_66_2011"}),
    ('un_region != "EEG"', {"ungdc:sg09", "FRA_65_2010", "USA_66_2011"}),  # missing never matches !=
    ("session == 66", {"USA_66_2011", "CHN_66_2011"}),               # a text column of numbers
    ('date >= "2010-01-01"', {"sg17"}),
    ("available", {"sg17", "sg09", "ungdc:sg09", "FRA_65_2010", "USA_66_2011", "CHN_66_2011"}),
])
def test_subset_expressions(both, expr, expected):
    assert set(corpus_subset(both, expr).doc_ids) == expected


def test_subset_keeps_anchor_only_when_selected(both):
    sub = corpus_subset(both, "year >= 2017")
    assert sub.anchor == "sg17" and sub.settings["where"] == ["year >= 2017"]
    states = corpus_subset(both, 'source == "ungdc"')
    assert states.anchor is None and states.settings["anchor_dropped"] == "sg17"
    kept = corpus_subset(both, 'source == "ungdc"', keep_anchor=True)
    assert kept.anchor == "sg17" and len(kept) == 5
    twice = corpus_subset(sub, 'role == "SG"')
    assert twice.settings["where"] == ["year >= 2017", 'role == "SG"']


def test_subset_by_mask(both):
    mask = both.docvars["year"].to_numpy() == 2011
    assert set(corpus_subset(both, mask).doc_ids) == {"USA_66_2011", "CHN_66_2011"}
    with pytest.raises(UsageError, match="6 booleans"):
        corpus_subset(both, np.array([True, False]))


@pytest.mark.parametrize("expr, message", [
    ("speaker_role == 'Secretary-General'", "no docvar 'speaker_role'.*docvars are doc_id, date, year, speaker"),
    ("yeer >= 2005", r"did you mean 'year'\?"),
    ('__import__("os").system("true")', "is not allowed"),
    ("year.real > 1", "is not allowed"),
    ("year + 1 > 2", "is not allowed"),
    ("[c for c in year]", "is not allowed"),
    ("year >= ", "not an expression"),
    ("speaker > 3", "holds text"),
    ('year >= "recent"', "is numeric"),
    ("year == speaker", "must compare one docvar with a value"),
    ("speaker", "is not true/false"),
    ("year in 2005", "needs a list"),
    ("year in (2005, len)", "only literal values"),
    ("", "needs an expression"),
    ("year > 2100", "selects none of the 6 documents"),
    ('un_region == "WEOG " or country_code in ("XX",)',
     r"un_region has no value 'WEOG ' \(its values: 'WEOG'\); country_code has no value 'XX'"),
])
def test_subset_errors_name_the_problem(both, expr, message):
    with pytest.raises(UsageError, match=message):
        corpus_subset(both, expr)


def test_parse_where_never_executes(both, monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "eval", lambda *a, **k: pytest.fail("eval called"))
    assert parse_where("year>=2005 and source == 'ungdc'")
    assert len(corpus_subset(both, "year>=2005 and source == 'ungdc'")) == 4


def test_the_speaker_role_example():
    dv = pd.DataFrame({"doc_id": ["m1", "m2", "m3"], "year": [2014, 2014, 2015],
                       "speaker_role": ["Secretary-General", "Member State", "Secretary-General"]})
    c = Corpus("unsc", dv, {"m1": "a", "m2": "b", "m3": "c"})
    assert corpus_subset(c, 'speaker_role == "Secretary-General"').doc_ids == ["m1", "m3"]


# ----------------------------------------------------------------- passages
def test_match_patterns_words_phrases_and_hyphens():
    text = "The Responsibility-to-Protect (R2P), r2p-related; RtoP. Genocidal acts; war crimes; warcrimes."
    hits = match_patterns(text, ["responsib* to protect", "R2P", "RtoP", "genocid*", "war crime*"])
    # a hyphenated word is one word (analysis.patterns, as quanteda's tokens): the phrase does not
    # match "Responsibility-to-Protect", nor R2P "r2p-related"
    assert [(h[2], h[3]) for h in hits] == [
        ("R2P", "R2P"), ("RtoP", "RtoP"), ("genocid*", "Genocidal"), ("war crime*", "war crimes")]
    hits = match_patterns(text, ["responsib*-to-protect", "R2P*"])       # patterns for hyphenated words
    assert [(h[2], h[3]) for h in hits] == [
        ("responsib*-to-protect", "Responsibility-to-Protect"), ("R2P*", "R2P"), ("R2P*", "r2p-related")]
    assert text[hits[0][0]:hits[0][1]] == "Responsibility-to-Protect"
    assert match_patterns("The R2Pxyz and xR2P", ["R2P"]) == []          # whole words only
    assert match_patterns("war, crimes", ["war crime*"]) == []           # not across punctuation
    assert [h[3] for h in match_patterns("crimes\nagainst  humanity", ["crime* against humanity"])] == \
        ["crimes\nagainst  humanity"]


def test_passage_patterns_from_the_profile_and_lists():
    r2p = passage_patterns("r2p")
    assert r2p[:3] == ("responsib* to protect", "R2P", "RtoP") and "ethnic cleansing" in r2p
    assert passage_patterns("genocide, war crime*") == ("genocide", "war crime*")
    assert passage_patterns(["a", " b "]) == ("a", "b")
    with pytest.raises(UsageError, match="need patterns"):
        passage_patterns(" , ")


def test_paragraph_passages_hand_worked(both):
    p = corpus_passages(both, "r2p")
    dv = p.docvars.set_index("doc_id")
    # sg09 paragraph 2 and FRA paragraph 2 match; the anchor stays whole; the rest have no match
    assert set(dv.index) == {"sg09#p2", "FRA_65_2010#p2", "sg17"}
    assert p.anchor == "sg17" and p.texts["sg17"] == both.texts["sg17"]
    r = dv.loc["sg09#p2"]
    # "R2P-related" and "Responsibility-to-Protect" are one word each: R2P and the phrase do not
    # match them (analysis.patterns)
    assert (r["parent_doc_id"], r["passage_n"], r["n_matches"], r["source"], r["speaker"]) == \
        ("sg09", 2, 3, "sg-r2p", "Ban Ki-moon")
    assert r["matched"] == "genocid*; war crime*; crime* against humanity"   # pattern order
    assert r["terms"] == "war crimes; crimes against humanity; genocide"     # text order
    f = dv.loc["FRA_65_2010#p2"]
    assert (f["passage_n"], f["n_matches"], f["un_region"], f["year"]) == (2, 2, "WEOG", 2010)
    assert f["matched"] == "RtoP; ethnic cleansing"
    assert p.texts["FRA_65_2010#p2"] == ("We support the Responsibility-to-Protect and RtoP. "
                                         "Ethnic cleansing must end.")
    a = dv.loc["sg17"]
    assert (a["passage_n"], a["matched"], a["n_matches"]) == (0, "responsib* to protect; genocid*", 2)
    s = p.settings["passages"]
    assert (s["unit"], s["documents"], s["documents_with_passages"], s["passages"]) == ("paragraph", 6, 2, 2)


def test_window_passages_merge_overlaps(both):
    w = corpus_passages(both, "r2p", unit="window", window=2)
    # FRA joined: Intro words here. We support the Responsibility-to-Protect and RtoP. Ethnic cleansing must end.
    # words 0..12; hits at word 8 and 9-10 (word 6 is one hyphenated word): windows 6-10, 7-12 merge into 6-12
    assert w.texts["FRA_65_2010#w1"] == "Responsibility-to-Protect and RtoP. Ethnic cleansing must end."
    assert "FRA_65_2010#w2" not in w.texts
    w0 = corpus_passages(both, ["genocide", "war crimes"], unit="window", window=0, keep_anchor=False)
    # sg09 joined: Opening words. R2P-related work on war crimes and crimes against humanity. And genocide.
    assert w0.texts == {"sg09#w1": "war crimes", "sg09#w2": "genocide.", "sg17#w1": "genocide."}
    assert w0.anchor is None and w0.docvars.set_index("doc_id").loc["sg09#w2", "passage_n"] == 2


def test_passages_errors(both):
    with pytest.raises(UsageError, match="'paragraph' or 'window'"):
        corpus_passages(both, "r2p", unit="sentence")
    with pytest.raises(UsageError, match=">= 0"):
        corpus_passages(both, "r2p", unit="window", window=-1)
    with pytest.raises(UsageError, match="no paragraph of the 6 documents with text of 'sg-r2p\\+ungdc' matches nothing"):
        corpus_passages(both, ["nothing matches this"], keep_anchor=False)
    with pytest.raises(UsageError, match="the anchor aside, matches genocide"):   # the anchor alone is no passage corpus
        corpus_passages(corpus_subset(both, 'speaker == "António Guterres"'), ["genocide"])


def test_load_reshaped_chains_and_records(both):
    def loader(name):
        return {"sg-r2p": _sg, "ungdc": _states}[name]()

    c = load_reshaped("sg-r2p+ungdc", loader, where="year >= 2010", passages="r2p")
    assert set(c.doc_ids) == {"FRA_65_2010#p2", "sg17"}
    assert c.settings["reshape"] == {"corpus": "sg-r2p+ungdc", "where": "year >= 2010",
                                     "passages": {"set": "r2p", "unit": "paragraph", "window": None}}
    assert "reshape" not in load_reshaped("sg-r2p", loader).settings
