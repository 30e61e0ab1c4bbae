"""Dictionary engine: hand-worked counts on short texts."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from analysis.framing.dictionary import (
    Dictionary,
    DictionaryError,
    match_token_spans,
    match_tokens,
    read_dictionary,
    read_liwc,
    stat_dictionary,
)
from analysis.profiles import get_profile


def counts(d, text, **kw):
    return d.count(match_tokens(text), **kw)


def test_tokens_keep_stopwords_hyphens_apostrophes():
    assert match_tokens("The State’s case-by-case duty, in 2005: to act!") == [
        "The", "State's", "case-by-case", "duty", "in", "to", "act"]
    toks, spans = match_token_spans("Ab, cd’e")
    assert toks == ["Ab", "cd'e"] and spans == [(0, 2), (4, 8)]


def test_globs_star_and_question_mark():
    d = Dictionary({"prev": ["prevent*"], "wom": ["wom?n"]})
    # prevent, prevention, preventive = 3; "preven" does not match; woman, women = 2
    c = counts(d, "Prevent prevention, PREVENTIVE preven. Woman women womb")
    assert c == {"prev": 3, "wom": 2}
    # a glob must match the whole token
    assert counts(Dictionary({"k": ["*ism"]}), "terrorism prism isms") == {"k": 2}


def test_multiword_entries_and_longest_match_first():
    d = Dictionary({"r2p": ["responsibility to protect", "protect*", "responsibility"]})
    text = "The responsibility to protect protects. Responsibility matters; protect them."
    # 1 phrase (its 'responsibility' and 'protect' not counted again)
    # + 'protects' + 'Responsibility' + 'protect' = 4
    assert counts(d, text) == {"r2p": 4}
    ms = d.lookup(match_tokens(text))
    assert [(m.start, m.end, m.entry) for m in ms] == [
        (1, 4, "responsibility to protect"), (4, 5, "protect*"),
        (5, 6, "responsibility"), (7, 8, "protect*")]


def test_nested_scope_key_versus_dictionary():
    d = Dictionary({"principle": ["responsibility to protect"], "protection": ["protect*"]})
    text = "the responsibility to protect and protection"
    # key scope (quanteda default): each key counts its own matches
    assert counts(d, text) == {"principle": 1, "protection": 2}
    # dictionary scope: 'protect' inside the longer phrase belongs to 'principle' only
    assert counts(d, text, nested_scope="dictionary") == {"principle": 1, "protection": 1}
    with pytest.raises(ValueError):
        d.lookup(["a"], nested_scope="global")


def test_overlapping_phrases_greedy_longest_then_leftmost():
    d = Dictionary({"k": ["a b", "b c", "a b c d"]})
    # "a b c d" covers 0-4; the trailing "b c" (5-7) counts; "a b" at 4-6 overlaps it?
    # tokens: a b c d a b c -> longest 'a b c d' (0-4); then 'a b' (4-6) leftmost of the
    # two-word candidates; 'b c' (5-7) overlaps it and is dropped: 2 matches
    assert counts(d, "a b c d a b c") == {"k": 2}


def test_case_handling():
    d = Dictionary({"un": ["UN"], "us": ["US"]})
    text = "The UN and the US; un-like us"
    assert counts(d, text) == {"un": 1, "us": 2}          # case-insensitive: 'us' too
    assert counts(d, text, case_insensitive=False) == {"un": 1, "us": 1}
    g = Dictionary({"k": ["Sec*"]})
    assert counts(g, "Security secretariat", case_insensitive=False) == {"k": 1}
    assert counts(g, "Security secretariat") == {"k": 2}


def test_exclusions_drop_overlapping_matches_and_inherit():
    d = Dictionary({
        "civ": {"terms": ["civilian*"], "exclude": ["civilian capacity", "civilian staff"]},
        "resp": {"exclude": ["in response to"],
                 "reactive": ["respon*"], "other": ["reaction"]},
    })
    text = ("Civilians died; civilian capacity and civilian staff grew. In response to this, "
            "the response was a reaction")
    c = counts(d, text)
    assert c["civ"] == 1                     # only 'Civilians'
    assert c["resp.reactive"] == 1           # 'response' after 'the'; 'in response to' excluded
    assert c["resp.other"] == 1
    assert d.exclusions("resp.reactive") == ["in response to"]


def test_levels_merge_subkeys_and_keep_each_entrys_exclusions():
    d = Dictionary({"pr": {"prevention": ["prevent*", "early warning"],
                           "response": {"terms": ["respon*", "early"],
                                        "exclude": ["in response to"]}},
                    "other": ["warning"]})
    text = "In response to early warning, prevention and a response"
    # leaves: prevention = early warning, prevention; response = early, response (the
    # excluded 'response' in 'in response to' is not counted)
    assert counts(d, text) == {"pr.prevention": 2, "pr.response": 2, "other": 1}
    fam = d.lookup(match_tokens(text), levels=1)
    # family: 'early warning' (longest) absorbs 'early'; 'in response to' stays excluded
    assert [(m.key, m.entry) for m in fam] == [
        ("pr", "early warning"), ("other", "warning"), ("pr", "prevent*"), ("pr", "respon*")]
    out = stat_dictionary(pd.DataFrame({"unit_id": ["u"], "text": [text]}), d, levels=1)
    assert dict(zip(out["key"], out["matches"])) == {"pr": 3, "other": 1}


def test_yaml_nested_reserved_keys_and_sources(tmp_path):
    p = tmp_path / "d.yml"
    p.write_text(textwrap.dedent("""\
        pillars:
          source: A/63/677 (2009)
          one:
            - primary responsibility
          two:
            terms: [capacity-building, international assistance]
            source: WSO para 139
        urgency: urgent*
        """), encoding="utf-8")
    d = read_dictionary(p)
    assert d.keys == ["pillars.one", "pillars.two", "urgency"]
    assert d.sources("pillars.two") == ["A/63/677 (2009)", "WSO para 139"]
    c = counts(d, "Primary responsibility, capacity-building and urgent, urgently, urgency")
    assert c == {"pillars.one": 1, "pillars.two": 1, "urgency": 2}
    flat = d.flatten(1)
    assert flat.keys == ["pillars", "urgency"]
    assert counts(flat, "Primary responsibility, capacity-building") == {"pillars": 2, "urgency": 0}
    tab = d.to_frame()
    assert set(tab.columns) == {"key", "level1", "entry", "kind", "source"}
    assert len(tab) == 4
    # round trip through to_dict and YAML (LIWC-imported dictionaries can be saved so)
    assert Dictionary(d.to_dict()).keys == d.keys
    d.to_yaml(tmp_path / "copy.yml")
    back = read_dictionary(tmp_path / "copy.yml")
    assert back.keys == d.keys and back.sources("pillars.two") == d.sources("pillars.two")
    assert back.to_frame().equals(d.to_frame())


@pytest.mark.parametrize("yaml_text, message", [
    ("a: [x, {b: c}]\n", "item 1"),
    ("a:\n  description: only a description\n", "neither entries nor sub-categories"),
    ("a: [x\n", "not valid YAML"),
    ("'a.b': [x]\n", "may not contain"),
    ("- x\n- y\n", "non-empty mapping"),
])
def test_bad_yaml_errors_name_the_problem(yaml_text, message):
    with pytest.raises(DictionaryError, match=message):
        Dictionary.from_yaml(yaml_text if "\n" in yaml_text else yaml_text + "\n")


def test_missing_file_error(tmp_path):
    with pytest.raises(DictionaryError, match="not found"):
        read_dictionary(tmp_path / "nope.yml")
    (tmp_path / "x.txt").write_text("a", encoding="utf-8")
    with pytest.raises(DictionaryError, match="unknown dictionary format"):
        read_dictionary(tmp_path / "x.txt")


LIWC = """%
1\tposemo
2\tnegemo
03\tsocial
%
good\t1
happ*\t1
bad\t2
hurt*\t2\t3
friend*\t03 1
kind of\t3
like\t(02 134)125/464\t1
"""


def test_liwc_import(tmp_path):
    p = tmp_path / "mini.dic"
    p.write_text(LIWC, encoding="utf-8")
    with pytest.warns(UserWarning, match="conditional"):
        d = read_liwc(p)
    assert d.keys == ["posemo", "negemo", "social"]
    assert d.entries("social") == ["hurt*", "friend*", "kind of"]
    text = "Good friends, happily hurting: kind of bad. I like it."
    # posemo: good, friends, happily, like = 4; negemo: hurting, bad = 2;
    # social: friends, hurting, 'kind of' = 3
    assert counts(d, text) == {"posemo": 4, "negemo": 2, "social": 3}
    # read_dictionary dispatches on the suffix
    with pytest.warns(UserWarning):
        assert read_dictionary(p).keys == d.keys


def test_liwc_errors(tmp_path):
    p = tmp_path / "bad.dic"
    p.write_text("good 1\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="category header"):
        read_liwc(p)
    p.write_text("%\n1\tpos\n%\ngood\t7\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"line 4: category number 7"):
        read_liwc(p)


def test_stat_dictionary_long_table_with_zeros():
    frame = pd.DataFrame({"unit_id": ["u1", "u2"], "doc_id": ["d", "d"], "year": [2001, 2002],
                          "text": ["We must prevent genocide.", "Nothing here at all"]})
    d = Dictionary({"prev": ["prevent*"], "crime": ["genocid*"]})
    out = stat_dictionary(frame, d)
    assert list(out.columns) == ["unit_id", "key", "matches", "tokens", "doc_id", "year"]
    assert out["matches"].tolist() == [1, 1, 0, 0]
    assert out["tokens"].tolist() == [4, 4, 4, 4]
    with pytest.raises(KeyError, match="text"):
        stat_dictionary(frame.drop(columns="text"), d)


def test_shipped_dictionaries_load_and_cite_sources():
    frames = read_dictionary(get_profile().frames_dictionary_path)
    stance = read_dictionary(get_profile().stance_dictionary_path)
    families = {k.split(".")[0] for k in frames.keys}
    assert {"pillars", "prevention_response", "sovereignty", "accountability_justice",
            "atrocity_crimes", "civilians_victims", "un_institutions",
            "consensus_contestation", "urgency"} <= families
    assert {"pillars.pillar_one", "pillars.pillar_two", "pillars.pillar_three",
            "sovereignty.as_responsibility", "sovereignty.non_interference"} <= set(frames.keys)
    for k in frames.keys + stance.keys:
        d = frames if k in frames else stance
        assert d.sources(k), f"{k} has no source"
    assert any("A/63/677" in s for s in frames.sources("pillars.pillar_two"))
    assert any("ICISS" in s for s in frames.sources("sovereignty.as_responsibility"))
    assert {"deontic", "commitment", "hedges", "first_person.singular",
            "first_person.plural"} == set(stance.keys)
    # 'political will' is not commitment; 'must' and 'need to' are deontic
    c = counts(stance, "We must act and we need to show political will; I will.")
    assert c["deontic"] == 2 and c["commitment"] == 1
    assert c["first_person.plural"] == 2 and c["first_person.singular"] == 1


def test_exact_words_agree_with_sklearn_countvectorizer(anchor_text):
    """Independent computation: glob-free single words counted by scikit-learn."""
    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.tokens import WORD_PATTERN

    d = Dictionary({"modal": ["must", "should", "could", "may"],
                    "plural": ["we", "us", "our"], "nouns": ["states", "council", "crimes"]})
    paras = [p for p in anchor_text.split("\n") if p.strip()]
    vocab = sorted({e for k in d.keys for e in d.entries(k)})
    X = CountVectorizer(vocabulary=vocab, token_pattern=WORD_PATTERN).transform(paras)
    col = {w: i for i, w in enumerate(vocab)}
    for i, p in enumerate(paras):
        got = d.count(match_tokens(p))
        for k in d.keys:
            assert got[k] == sum(X[i, col[e]] for e in d.entries(k)), (i, k)


def test_globs_agree_with_regex_search(anchor_text):
    """Independent computation: a single-token glob equals a whole-word regex count."""
    import re

    d = Dictionary({"k": ["prevent*", "atrocit*", "sovereign*"]})
    text = anchor_text.replace("\u2019", "'")
    expected = len(re.findall(r"(?<![\w'-])(?:prevent|atrocit|sovereign)[\w'-]*", text, re.IGNORECASE))
    assert expected > 5
    assert d.count(match_tokens(text)) == {"k": expected}
