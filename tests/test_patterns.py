"""One pattern language (analysis.patterns): one table of cases, run through every consumer.

Each row is (pattern, valuetype, case_insensitive, text, expected): ``expected`` lists
the matched words as they stand in the text (whitespace collapsed), by position,
worked out by hand from the rules in the module docstring of :mod:`analysis.patterns`
(quanteda's glob/regex/fixed semantics). KWIC (and dispersion), dictionary counts,
passage selection and seed-word expansion must all find exactly these.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.corpus import Corpus
from analysis.errors import UsageError
from analysis.framing.dictionary import Dictionary, match_tokens
from analysis.patterns import (
    Part,
    compile_pattern,
    compile_patterns,
    find_in_text,
    is_break,
    pattern_tokens,
    phrase,
)
from analysis.reshape import corpus_passages, match_patterns
from analysis.textstats.kwic import stat_dispersion, stat_kwic
from analysis.topicmod.seeded import seed_words

PREVENT = "Prevent prevention, preventive and prevent-ing; unpreventable preven."
R2P = "R2P and r2p, R2P-related R2Pxyz."
SECUR = "Security, insecurity and SECURE; secular."
R2P_PHRASE = ("The responsibility to protect; Responsibilities to\nProtect. responsibility, to protect. "
              "responsibility-to-protect.")

CASES = [
    # glob: whole word, * any run (the empty one too), hyphenated words are one word
    ("prevent*", "glob", True, PREVENT, ["Prevent", "prevention", "preventive", "prevent-ing"]),
    ("prevent*", "glob", False, PREVENT, ["prevention", "preventive", "prevent-ing"]),
    ("prevent", "glob", True, PREVENT, ["Prevent"]),          # no wildcard: the word itself
    ("prevent", "fixed", True, PREVENT, ["Prevent"]),
    ("PREVENT", "fixed", False, PREVENT, []),
    ("*ing", "glob", True, PREVENT, ["prevent-ing"]),
    # phrases: parts are patterns for consecutive words; no phrase across punctuation
    ("responsib* to protect", "glob", True, R2P_PHRASE,
     ["responsibility to protect", "Responsibilities to Protect"]),
    ("responsib*-to-protect", "glob", True, R2P_PHRASE, ["responsibility-to-protect"]),
    ("responsibility to protect", "fixed", True, R2P_PHRASE, ["responsibility to protect"]),
    ("war crime*", "glob", True, "war crimes; war, crimes; war-crimes; War  Crimes.", ["war crimes", "War Crimes"]),
    # R2P: letters and digits make one word
    ("R2P", "glob", True, R2P, ["R2P", "r2p"]),
    ("R2P", "glob", False, R2P, ["R2P"]),
    ("R2P", "fixed", False, R2P, ["R2P"]),
    ("r2p*", "glob", True, R2P, ["R2P", "r2p", "R2P-related", "R2Pxyz"]),
    # regex: anywhere in the word (quanteda); anchors for more
    ("secur", "regex", True, SECUR, ["Security", "insecurity", "SECURE"]),
    ("secur", "regex", False, SECUR, ["insecurity"]),
    ("^secur", "regex", True, SECUR, ["Security", "SECURE"]),
    ("secur", "glob", True, SECUR, []),                       # a glob covers the whole word
    ("^war$ ^crimes?$", "regex", True, "war crimes and war crime, warfare crimes.", ["war crimes", "war crime"]),
    # ? is one character
    ("wom?n", "glob", True, "woman women womyn wom woooman won.", ["woman", "women", "womyn"]),
    # regex metacharacters are literal in a glob: U.N. is never "any character"
    ("U.N.", "glob", True, "The U.N. and UNN and UaNb.", []),
    ("U?N", "glob", True, "The UNN and UaN and U-N.", ["UNN", "UaN", "U-N"]),
    ("state's", "glob", True, "the State's duty and states' rights.", ["State's"]),
]


def _norm(xs):
    return [" ".join(str(x).split()) for x in xs]


def _ids(case):
    return f"{case[0]}|{case[1]}|{'ci' if case[2] else 'cs'}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_pattern_language(case):
    pat, vt, ci, text, expected = case
    assert _norm(h[3] for h in find_in_text(text, [pat], vt, ci)) == expected


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_kwic_and_dispersion_agree(case):
    pat, vt, ci, text, expected = case
    c = Corpus("t", pd.DataFrame({"doc_id": ["d"]}), {"d": text})
    k = stat_kwic(c, [pat], window=0, valuetype=vt, case_insensitive=ci)
    assert _norm(k["keyword"]) == expected
    d = stat_dispersion(c, [pat], valuetype=vt, case_insensitive=ci)
    assert d["term"].tolist() == [e.lower() for e in expected]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_dictionary_counts_agree(case):
    pat, vt, ci, text, expected = case
    d = Dictionary({"k": [pat]})
    toks = match_tokens(text)
    ms = d.lookup(toks, case_insensitive=ci, valuetype=vt)
    assert _norm(" ".join(toks[m.start:m.end]) for m in ms) == expected
    assert d.count(toks, case_insensitive=ci, valuetype=vt) == {"k": len(expected)}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_passages_agree(case):
    pat, vt, ci, text, expected = case
    assert _norm(h[3] for h in match_patterns(text, [pat], vt, ci)) == expected
    if vt != "glob" or not ci:
        return  # --passages reads case-insensitive globs
    c = Corpus("t", pd.DataFrame({"doc_id": ["d", "e"]}), {"d": text, "e": "Calm seas."})
    if not expected:
        with pytest.raises(UsageError, match="no paragraph"):
            corpus_passages(c, [pat])
        return
    p = corpus_passages(c, [pat], keep_anchor=False)
    dv = p.docvars.set_index("doc_id")
    assert list(dv.index) == ["d#p1"] and int(dv.loc["d#p1", "n_matches"]) == len(expected)
    assert dv.loc["d#p1", "terms"] == "; ".join(dict.fromkeys(e.lower() for e in expected))


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "glob" and c[2] and len(phrase(c[0])) == 1],
                         ids=_ids)
def test_seed_words_agree(case):
    pat, vt, ci, text, expected = case
    vocab = list(dict.fromkeys(t.lower() for t in pattern_tokens(text)))
    got = seed_words({"k": [pat]}, vocab).get("k", [])
    assert got == list(dict.fromkeys(e.lower() for e in expected))


def test_seed_words_expand_each_part_of_a_phrase():
    vocab = ["responsibility", "responsibilities", "to", "protect", "protection", "weather"]
    got = seed_words({"k": ["responsib* to protect"], "x": {"terms": ["weather*"], "exclude": ["weather"]}}, vocab)
    assert got == {"k": ["responsibility", "responsibilities", "to", "protect"]}


def test_breaks_and_tokens():
    assert [is_break(g) for g in [" ", "\n  ", "", ", ", " - ", " $ ", " 2005 "]] == \
        [False, False, False, True, True, True, True]
    toks = pattern_tokens("The State\u2019s R2P, in 2005: prevent-ing", numbers=False, spans=True)
    assert list(toks) == ["The", "State's", "R2P", "in", "prevent-ing"]
    assert toks.gaps == [" ", " ", ", ", " 2005: "]
    assert toks.spans[1] == (4, 11)
    assert list(pattern_tokens("in 2005", numbers=True)) == ["in", "2005"]
    assert compile_pattern("a b").find(["a", "b", "a", "b"], [" ", ", ", " "]) == [(0, 2), (2, 4)]
    assert compile_pattern("a b").find(["a", "b"], [" , "]) == []


def test_errors_and_folding():
    with pytest.raises(UsageError, match="empty"):
        compile_pattern("  ")
    with pytest.raises(UsageError, match="regular expression"):
        compile_pattern("(unclosed", "regex")
    with pytest.raises(UsageError, match="valuetype"):
        compile_patterns(["a"], "wildcard")
    assert Part("STRASSE", "fixed").match("Straße")           # casefold, not lower
    assert Part("e\u0301*", "glob").match("\u00e9tat")          # NFC
    assert not Part("prevent*", "glob", case_insensitive=False).match("Prevention")
    ps = compile_patterns(["genocid*", "war crime*"])
    assert ps.may_match("WAR CRIMES") and ps.may_match("Genocidal")     # every literal piece present
    assert not ps.may_match("A war.") and not ps.may_match("peace")
    assert compile_patterns(["secur"], "regex").may_match("peace")      # regexes always may match
