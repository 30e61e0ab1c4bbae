"""KWIC: the concordance lines quanteda's ``kwic`` prints for the inaugural addresses.

The texts are NLTK's ``inaugural`` corpus, read at test time (its addresses 1789-2001 have the
same words as quanteda's ``data_corpus_inaugural``), restricted to the addresses up to 2017 as
in the quanteda version that printed the examples.

What is compared: the matches in order (document and keyword as written) and the words of
the context. What differs on purpose, and so is not compared:

* positions: quanteda counts *tokens* from 1 with every punctuation mark a token
  (``[1797-Adams, 479]``); we count *words* from 0 (word 427 of that address), the index
  the dispersion plot and the other tables use;
* the window: quanteda's ``window = 3`` is three tokens, punctuation included ("welfare , and");
  ours is three words with the punctuation between them kept in the string ("general welfare,
  and"), so quanteda's context words are the last (``pre``) or first (``post``) words of ours.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.textstats.kwic import stat_kwic

from .registry import case

KWIC_DOCS = "quanteda/quanteda docs/reference/kwic.html @ 02d0c6e55a98c5a86ad8b1b357d5f55cc978817b"
REASON = ("quanteda counts tokens from 1 with punctuation marks as tokens and its window is tokens; we count "
          "words from 0 and our window is words (punctuation kept inside the context strings). The matches, "
          "their order, the keywords and the context words agree; positions are not compared. (Until this "
          "case, our phrases matched across punctuation: 'war, against' in 2009-Obama; fixed.)")
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


def _corpus():
    from nltk.corpus import inaugural

    from analysis.corpus import Corpus

    ids = [f[:-4] for f in inaugural.fileids() if int(f[:4]) <= 2017]
    dv = pd.DataFrame({"doc_id": ids, "year": [int(i[:4]) for i in ids]})
    return Corpus("inaugural", dv, {i: inaugural.raw(f"{i}.txt") for i in ids})


def _lines(pattern, valuetype="glob", window=3, head=None):
    k = stat_kwic(_corpus(), [pattern], window=window, valuetype=valuetype)
    if head:
        k = k.head(head)
    return [(r.doc_id, r.position, r.pre, r.keyword, r.post) for r in k.itertuples()]


def _agree(ours, published):
    if len(ours) != len(published):
        return False, f"{len(ours)} lines, quanteda printed {len(published)}"
    for i, ((doc, pos, pre, kw, post), (pdoc, ppos, ppre, pkw, ppost)) in enumerate(zip(ours, published)):
        w_pre, w_post = _WORD.findall(pre), _WORD.findall(post)
        p_pre, p_post = _WORD.findall(ppre), _WORD.findall(ppost)
        if doc != pdoc or kw != pkw:
            return False, f"line {i + 1}: ours {doc} '{kw}', quanteda {pdoc} '{pkw}'"
        if (p_pre and w_pre[-len(p_pre):] != p_pre) or w_post[:len(p_post)] != p_post:
            return False, f"line {i + 1} ({doc}): context '{pre} | {post}' vs quanteda '{ppre} | {ppost}'"
    return True, (f"{len(ours)} lines agree (documents, keywords, context words); e.g. {ours[0][0]}: "
                  f"our word {ours[0][1]} = quanteda token {published[0][1]}")


@case(id="kwic-glob-secure", family="kwic", method="KWIC, glob pattern",
      reference="quanteda kwic(data_corpus_inaugural, 'secure*', window = 3, valuetype = 'glob')",
      source=f"{KWIC_DOCS}, first example (head: 6 lines)", data="inaugural addresses 1789-2017 (NLTK)",
      published=[("1797-Adams", 479, "welfare , and", "secure", "the blessings of"),
                 ("1797-Adams", 1513, "nations , and", "secured", "immortal glory with"),
                 ("1805-Jefferson", 2368, ", and shall", "secure", "to you the"),
                 ("1817-Monroe", 1755, "cherished . To", "secure", "us against these"),
                 ("1817-Monroe", 1815, "defense as to", "secure", "our cities and"),
                 ("1817-Monroe", 3012, "I can to", "secure", "economy and fidelity")],
      check=_agree, reason=REASON)
def _():
    return _lines("secure*", "glob", head=6)


@case(id="kwic-regex-secur", family="kwic", method="KWIC, regular expression (matches inside words)",
      reference="quanteda kwic(data_corpus_inaugural, 'secur', window = 3, valuetype = 'regex')",
      source=f"{KWIC_DOCS}, second example (head: 6 lines)", data="inaugural addresses 1789-2017 (NLTK)",
      published=[("1789-Washington", 1497, "government for the", "security", "of their union"),
                 ("1797-Adams", 479, "welfare , and", "secure", "the blessings of"),
                 ("1797-Adams", 1513, "nations , and", "secured", "immortal glory with"),
                 ("1805-Jefferson", 2368, ", and shall", "secure", "to you the"),
                 ("1813-Madison", 321, "seas and the", "security", "of an important"),
                 ("1817-Monroe", 1610, "may form some", "security", "against these dangers")],
      check=_agree, reason=REASON)
def _():
    return _lines("secur", "regex", head=6)


@case(id="kwic-fixed-security", family="kwic", method="KWIC, fixed pattern",
      reference="quanteda kwic(data_corpus_inaugural, 'security', window = 3, valuetype = 'fixed')",
      source=f"{KWIC_DOCS}, third example (head: 6 lines)", data="inaugural addresses 1789-2017 (NLTK)",
      published=[("1789-Washington", 1497, "government for the", "security", "of their union"),
                 ("1813-Madison", 321, "seas and the", "security", "of an important"),
                 ("1817-Monroe", 1610, "may form some", "security", "against these dangers"),
                 ("1817-Monroe", 3430, "and as a", "security", "against foreign dangers"),
                 ("1825-Adams", 1371, "that the best", "security", "for the beneficence"),
                 ("1825-Adams", 1443, "that the firmest", "security", "of peace is")],
      check=_agree, reason=REASON)
def _():
    return _lines("security", "fixed", head=6)


@case(id="kwic-phrase-war-against", family="kwic", method="KWIC, phrase (every match)",
      reference="quanteda kwic(data_corpus_inaugural, phrase('war against'))",
      source=f"{KWIC_DOCS}, fourth example (all 5 lines; window 5)", data="inaugural addresses 1789-2017 (NLTK)",
      published=[("1857-Buchanan", 2913, "advantage of the fortune of", "war against", "a sister republic , we"),
                 ("1901-McKinley", 2272, ". We are not waging", "war against", "the inhabitants of the Philippine"),
                 ("1901-McKinley", 2287, "portion of them are making", "war against", "the United States . By"),
                 ("1901-McKinley", 2401, "used when those who make", "war against", "us shall make it no"),
                 ("1933-Roosevelt", 1849, "Executive power to wage a", "war against", "the emergency , as great")],
      check=_agree, reason=REASON)
def _():
    return _lines("war against", "glob", window=5)
