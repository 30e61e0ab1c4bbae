"""The one tokens layer (analysis.tokens): spans, agreement with the old tokenisers, one pattern."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from nltk.corpus import stopwords as nltk_stopwords
from nltk.tokenize import RegexpTokenizer

from analysis import tokens as T
from analysis.text import TextSettings, prepare, tokenize

# The patterns each module compiled before the tokens layer existed (text.py, kwic.py,
# style.py, dictionary.py; acquire/extract.py and acquire/fetch.py), written out here
# so that the test compares against them and not against the module under test.
OLD_WORD = r"[^\W\d_]+(?:['\-][^\W\d_]+)*"
OLD_WORD_OR_NUMBER = r"[^\W_]+(?:['\-.,][^\W_]+)*"
OLD_HYPHEN_WORD = r"[^\W\d_]+(?:-[^\W\d_]+)*"
OLD_LETTERS = r"[^\W\d_]+"
OLD_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'",
                                 "\u2010": "-", "\u2011": "-", "\u2012": "-"})

PACKAGE = Path(__file__).resolve().parent.parent / "analysis"


@pytest.fixture(scope="module")
def texts(anchor_text, inaugural):
    av = inaugural.available()
    return [anchor_text, prepare(anchor_text), *(av.texts[d] for d in av.doc_ids)]


def test_hand_worked_tokens_and_spans():
    s = "Well-being, the Council\u2019s 2005 role: 1,000.5 lives (U.N.)"
    assert T.tokens(s) == ["Well-being", "the", "Council", "s", "role", "lives", "U", "N"]
    assert T.tokens(s, apostrophes=True)[2] == "Council's"
    assert T.tokens(s, numbers=True) == ["Well-being", "the", "Council", "s", "2005", "role",
                                         "1,000.5", "lives", "U.N"]
    toks, spans = T.tokenize_spans(s, apostrophes=True)
    assert toks[:3] == ["Well-being", "the", "Council's"]
    assert spans[:3] == [(0, 10), (12, 15), (16, 25)]
    assert T.split_words("a, b.", numbers=True) == ["", "a", ", ", "b", "."]
    assert T.count_words(s) == 8


def test_spans_round_trip(texts):
    curly = "The State\u2019s case\u2010by\u2010case duty \u02bca\u02bc"
    for text in [*texts, curly]:
        for numbers in (False, True):
            toks, spans = T.tokenize_spans(text, numbers=numbers)
            assert toks == T.tokens(text, numbers=numbers)
            assert all(text[a:b] == t for t, (a, b) in zip(toks, spans))
            assert all(b0 <= a1 for (_, b0), (a1, _) in zip(spans, spans[1:]))
            parts = T.split_words(text, numbers=numbers)
            assert "".join(parts) == text and parts[1::2] == toks
        toks, spans = T.tokenize_spans(text, apostrophes=True)
        assert all(text[a:b].translate(OLD_APOSTROPHES) == t for t, (a, b) in zip(toks, spans))
    assert T.tokenize_spans(curly, apostrophes=True)[0][:2] == ["The", "State's"]


def test_identical_to_the_old_tokenisers(texts):
    """Anchor (raw and prepared) and the 59 NLTK inaugural addresses, token for token."""
    from analysis.framing.dictionary import match_token_spans, match_tokens

    words, numbers = RegexpTokenizer(OLD_WORD), RegexpTokenizer(OLD_WORD_OR_NUMBER)
    split = re.compile(f"({OLD_WORD_OR_NUMBER})")
    n = 0
    for text in texts:
        old = words.tokenize(text)
        n += len(old)
        assert T.tokens(text) == old                                   # text.tokenize, before filters
        assert T.count_words(text) == len(old)                         # text.count_words (n_tokens)
        assert T.tokens(text, numbers=True) == numbers.tokenize(text)  # keep_numbers, KWIC
        assert T.split_words(text) == split.split(text)                # KWIC context parts
        assert T.tokens(text, lowercase=True) == re.findall(OLD_WORD, text.lower())  # style, collocations
        folded = text.translate(OLD_APOSTROPHES)
        # dictionary engine (analysis.patterns): letters and digits joined by ' or -, with a letter
        # ("R2P", "14th" are one word; the old letter runs cut them into "R", "P" and "th")
        lettered = [m for m in re.finditer(r"[^\W_]+(?:['\-][^\W_]+)*", folded) if re.search(r"[^\W\d_]", m.group())]
        assert match_tokens(text) == [m.group() for m in lettered]
        assert match_token_spans(text)[1] == [m.span() for m in lettered]
        assert T.tokens(text, joiners="-") == re.findall(OLD_HYPHEN_WORD, text)           # extract
        assert T.tokens(text, lowercase=True, joiners="") == re.findall(OLD_LETTERS, text.lower())  # fetch
    assert n > 130_000  # the inaugural corpus has about 137,000 words


def test_term_pipeline_against_nltk(texts):
    """Default DTM terms = NLTK regexp words, lowercased, >= 2 letters, NLTK stopwords out."""
    stop = {w.lower() for w in nltk_stopwords.words("english")}
    words = RegexpTokenizer(OLD_WORD)
    for text in texts[:6]:
        expected = [w for w in (t.lower() for t in words.tokenize(text))
                    if len(w) >= 2 and w not in stop and w.split("'")[0] not in stop]
        assert T.terms(text, TextSettings()) == tokenize(text) == expected
    s = TextSettings(remove_stopwords=False, lowercase=False, min_token_len=1, keep_numbers=True)
    assert T.terms(texts[2], s) == RegexpTokenizer(OLD_WORD_OR_NUMBER).tokenize(texts[2])
    stem = T.terms("protecting populations", TextSettings(stem=True))
    from nltk.stem.snowball import SnowballStemmer

    assert stem == [SnowballStemmer("english").stem(w) for w in ("protecting", "populations")]


def test_word_pattern_builder():
    assert T.WORD_PATTERN == OLD_WORD and T.WORD_OR_NUMBER_PATTERN == OLD_WORD_OR_NUMBER
    assert T.word_pattern(joiners="") == OLD_LETTERS
    assert re.findall(T.word_pattern(joiners="-"), "co-operate's") == ["co-operate", "s"]
    assert re.findall(T.word_pattern(joiners="-^]"), "a^b]c-d") == ["a^b]c-d"]


def _word_regex_literals(path: Path):
    """(line, text) of string literals that spell a word class, and of regexes compiled from
    the WORD_* pattern names, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "[^\\W" in node.value:
            yield node.lineno, node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re":
            for arg in (sub for a in node.args for sub in ast.walk(a)):
                if isinstance(arg, ast.Name) and arg.id in ("WORD_PATTERN", "WORD_OR_NUMBER_PATTERN"):
                    yield node.lineno, f"re.{node.func.attr}({arg.id})"


def test_no_module_but_tokens_defines_a_word_pattern():
    offenders = [f"{p.relative_to(PACKAGE.parent)}:{line}: {text!r}"
                 for p in sorted(PACKAGE.rglob("*.py")) if p.name != "tokens.py" or p.parent != PACKAGE
                 for line, text in _word_regex_literals(p)]
    assert not offenders, "word patterns outside analysis/tokens.py:\n" + "\n".join(offenders)
    # the scan itself finds what it must
    assert list(_word_regex_literals(PACKAGE / "tokens.py"))
