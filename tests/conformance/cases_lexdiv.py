"""Lexical diversity: TTR, MATTR and MTLD against quanteda.textstats and lexicalrichness.

No text is copied: the inaugural addresses are read from NLTK's ``inaugural`` corpus at test
time (its 2001-Bush and 2009-Obama files have the same words as quanteda's
``data_corpus_inaugural``; the other addresses differ slightly between the two corpora and
are left out), and the lexicalrichness example text is read from the installed package's
own metadata (its README), tokenised by lexicalrichness itself.
"""

from __future__ import annotations

import math
import re

from analysis.textstats.style import mattr, mtld, ttr
from analysis.tokens import tokens

from .registry import case

TEXTSTATS = "quanteda/quanteda.textstats @ 9fc27080decb093d45aeb018255c1528da9780a4"


def _inaugural_words(fileid: str) -> list[str]:
    from nltk.corpus import inaugural

    # quanteda: tokens(), then textstat_lexdiv removes punctuation, numbers and symbols and
    # lowercases; analysis.tokens.tokens(lowercase=True) gives the same words here
    return tokens(inaugural.raw(fileid), lowercase=True)


@case(id="lexdiv-ttr-mattr-inaugural", family="lexical diversity", method="TTR and MATTR (window 100)",
      reference="quanteda.textstats textstat_lexdiv(toks, c('CTTR', 'TTR', 'MATTR'), MATTR_window = 100)",
      source=f"{TEXTSTATS} docs/reference/textstat_lexdiv.html, last example",
      data="inaugural addresses 2001-Bush and 2009-Obama (NLTK's inaugural corpus, same words as "
           "quanteda's data_corpus_inaugural)",
      published={"2001-Bush TTR": 0.3689198, "2009-Obama TTR": 0.3736402,
                 "2001-Bush MATTR": 0.6885984, "2009-Obama MATTR": 0.7070275}, atol=5e-8)
def _():
    w1, w2 = _inaugural_words("2001-Bush.txt"), _inaugural_words("2009-Obama.txt")
    return {"2001-Bush TTR": ttr(w1), "2009-Obama TTR": ttr(w2),
            "2001-Bush MATTR": mattr(w1, 100), "2009-Obama MATTR": mattr(w2, 100)}


_ONE_TWO = "one one two one one two one".split()


@case(id="lexdiv-mattr-windows", family="lexical diversity", method="MATTR, windows 2, 3 and 4",
      reference="quanteda.textstats textstat_lexdiv(measure = 'MATTR', MATTR_window = 2, 3, 4)",
      source=f"{TEXTSTATS} tests/testthat/test-textstat_lexdiv.R, "
             "'textstat_lexdiv.tokens MATTR works correctly on its own'",
      data="the test's text 'one one two one one two one'",
      published=[(1 / 2 + 1 + 1 + 1 / 2 + 1 + 1) / 6, (2 / 3 * 5) / 5, (2 / 4 * 4) / 4], rtol=1e-12)
def _():
    return [mattr(_ONE_TWO, w) for w in (2, 3, 4)]


def _nan_on_purpose(ours, published):
    ok = isinstance(ours, float) and math.isnan(ours)
    return ok, (f"ours NaN (window longer than the text), quanteda {published:.6g} (window reset to "
                f"the text's length)" if ok else f"expected NaN, got {ours!r}")


@case(id="lexdiv-mattr-window-too-long", family="lexical diversity", method="MATTR, window longer than the text",
      reference="quanteda.textstats textstat_lexdiv(measure = 'MATTR', MATTR_window = 100)",
      source=f"{TEXTSTATS} tests/testthat/test-textstat_lexdiv.R, 'MATTR_window exceeds some documents' "
             "token lengths, resetting to 7'",
      data="the test's text 'one one two one one two one' (7 words, TTR 2/7)",
      published=2 / 7, check=_nan_on_purpose,
      reason="quanteda warns and shrinks the window to the text's length, so that document's MATTR is "
             "its TTR, not comparable with the other documents' MATTR at window 100; we return NaN "
             "(no MATTR at that window) rather than a number that means something else.")
def _():
    return mattr(_ONE_TWO, 100)


def _lexicalrichness_example() -> list[str]:
    """The README example text of the installed lexicalrichness, tokenised by lexicalrichness."""
    from importlib.metadata import distribution

    from lexicalrichness import LexicalRichness

    readme = distribution("lexicalrichness").read_text("METADATA") or ""
    m = re.search(r'text = """(.*?)"""', readme, re.S)
    if m is None:
        raise LookupError("the lexicalrichness README example text was not found in its METADATA")
    return LexicalRichness(m.group(1)).wordlist


@case(id="lexdiv-lexicalrichness-readme", family="lexical diversity", method="TTR, MATTR (window 25), MTLD (0.72)",
      reference="lexicalrichness 0.5.1 LexicalRichness.ttr, .mattr(window_size=25), .mtld(threshold=0.72)",
      source="lexicalrichness 0.5.1 README (PyPI long description, 'text example'): lex.ttr, "
             "lex.mattr(window_size=25), lex.mtld(threshold=0.72)",
      data="the README's example text (57 words after lexicalrichness's own preprocessing and tokenizer, "
           "read from the installed package's METADATA and fed to our functions)",
      published={"TTR": 0.6842105263157895, "MATTR(25)": 0.8351515151515151, "MTLD(0.72)": 46.79226361031519},
      rtol=1e-12)
def _():
    w = _lexicalrichness_example()
    return {"TTR": ttr(w), "MATTR(25)": mattr(w, 25), "MTLD(0.72)": mtld(w, 0.72)}
