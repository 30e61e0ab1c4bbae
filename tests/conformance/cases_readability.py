"""Readability and sentence counts against quanteda.textstats' tests and documentation.

Flesch reading ease (Flesch 1948) and the Flesch-Kincaid grade (Kincaid et al. 1975) are
the same formulas in quanteda.textstats and here (:func:`analysis.textstats.style.flesch_reading_ease`);
what can differ are the three counts they take: sentences, words and syllables.

The Dale & Chall (1948) passages below are quoted as quanteda.textstats' test file prints
them (tests/testthat/test-textstat_readability.R at the commit in ``TEXTSTATS``), hard line
breaks included: they are short quotations of the instructions of a 1948 readability
formula, kept here with their provenance because their line breaks are the point of the
case (a line break inside a sentence must not end it). The inaugural addresses are read
from NLTK's ``inaugural`` corpus at test time (2001-Bush and 2009-Obama have the same words
as quanteda's ``data_corpus_inaugural``, see ``cases_lexdiv.py``).

References
----------
Dale, E. and Chall, J. S. (1948). A formula for predicting readability: Instructions.
*Educational Research Bulletin* 27(2), 37-54.
Flesch, R. (1948). A new readability yardstick. *Journal of Applied Psychology* 32(3), 221-233.
Kincaid, J. P. et al. (1975). Derivation of new readability formulas for Navy enlisted
personnel. Research Branch Report 8-75.
"""

from __future__ import annotations

import warnings

from analysis.text import train_punkt
from analysis.textstats.style import style_measures

from .registry import case

TEXTSTATS = "quanteda/quanteda.textstats @ 9fc27080decb093d45aeb018255c1528da9780a4"
TEST_FILE = f"{TEXTSTATS} tests/testthat/test-textstat_readability.R"
DOCS = f"{TEXTSTATS} docs/reference/textstat_readability.html"

#: Dale & Chall (1948), as printed in quanteda.textstats' test "Test Dale-Chall readability"
#: (objects dc1, dc2, dc3; line breaks as in the test file)
DALE_CHALL = {
    "dc1": """A happy, useful life - that's what you want for your baby, isn't it? And because
a healthy mind and body are so necessary to happiness and long life, you must
do all you can to get your baby off to a good start. There is much you can do
while he is still a baby to lay the foundation for good health and good health
habits. Many things affect your baby's health. One was the state of your own
health during pregnancy, and the special care your doctor gave you before the
baby was born. Other things important to your child's health are food,
clothes, baths, sleep, and habit training. A baby needs a clean, happy place
to live, and he must be kept from having any sickness that can be prevented.""",
    "dc2": """Diphtheria used to kill many babies. Today no child need die of
diphtheria.  It is one of the diseases for which we have very good treatment
and almost sure prevention. But your baby will not be safe from this disease
unless he has been protected by immunization. The way to protect your baby is
simple. Physicians usually give injections of three doses of toxoid, three to
four weeks apart, generally beginning when a baby is about six months old.
Your doctor will tell you that your baby should have this protection before
his first birthday. Six months after the last injection of toxoid, the
physician may test your baby to see if another dose of toxoid is necessary.
Before the child enters school an extra shot of toxoid is often given.""",
    "dc3": """The germs that cause tuberculosis can enter the baby's body through
his mouth or be breathed in through his nose. These germs come to him on spray
or moisture which the person with active tuberculosis breathes or coughs out.
Germ-filled spray from the mouth or nose may light on the baby's food, his
dishes, his toys. The baby's hands may carry germs from soiled objects to his
mouth. Kissing is one way of spreading TB as well as other germs. Tuberculosis
of the bones or joints or of certain organs of the body besides the lungs can
come to the bottle-fed baby in milk which has not been pasteurized or boiled.""",
}


def _measures(text: str) -> dict:
    """Style measures with Punkt trained on the passages themselves (no pretrained model
    offline), as stat_style trains it on the corpus."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tok = train_punkt(list(DALE_CHALL.values()))
    return style_measures(text, tok)


@case(id="readability-sentences-dale-chall", family="readability",
      method="sentence count of hard-wrapped text",
      reference="quanteda ntoken(tokens(x, what = 'sentence'))",
      source=f"{TEST_FILE}, 'Test Dale-Chall readability' (dc2: 9, dc3: 6)",
      data="Dale & Chall (1948) passages 2 and 3, with the line breaks of the test file",
      published={"dc2": 9, "dc3": 6})
def _():
    return {k: _measures(DALE_CHALL[k])["sentences"] for k in ("dc2", "dc3")}


@case(id="readability-words-dale-chall", family="readability",
      method="running words of the readability formulas",
      reference="quanteda ntoken(tokens(x, remove_punct = TRUE))",
      source=f"{TEST_FILE}, 'Test Dale-Chall readability' (dc1: 132, dc2: 131, dc3: 111)",
      data="Dale & Chall (1948) passages 1-3 (contractions and hyphenated words are one word)",
      published={"dc1": 132, "dc2": 131, "dc3": 111})
def _():
    from analysis.tokens import tokens

    return {k: len(tokens(t)) for k, t in DALE_CHALL.items()}


@case(id="readability-flesch-cat", family="readability", method="Flesch reading ease",
      reference="quanteda.textstats textstat_readability(x, 'Flesch')",
      source=f"{TEST_FILE}, 'readability count is ok' (103, tolerance 0.01)",
      data="'The cat in the hat ate breakfast.' (7 words, 8 syllables, 1 sentence)",
      published=103, rtol=0.01)
def _():
    return style_measures("The cat in the hat ate breakfast.")["flesch_reading_ease"]


@case(id="readability-flesch-doc-examples", family="readability", method="Flesch reading ease",
      reference="quanteda.textstats textstat_readability(txt, measure = 'Flesch')",
      source=f"{DOCS}, first example",
      data="doc1 'Readability zero one. Ten, Eleven.' (5 words, 12 syllables, 2 sentences); "
           "doc2 'The cat in a dilapidated tophat.' (6 words, 11 syllables)",
      published={"doc1": 1.2575, "doc2": 45.6450}, atol=5e-5)
def _():
    return {"doc1": style_measures("Readability zero one. Ten, Eleven.")["flesch_reading_ease"],
            "doc2": style_measures("The cat in a dilapidated tophat.")["flesch_reading_ease"]}


_PAGES = ["PAGE 1. This is a single sentence.  Short sentence. Three word sentence.",
          "PAGE 2. Very short! Shorter.",
          "Very long sentence, with multiple parts, separated by commas.  PAGE 3."]
#: sentences of each text (the same in quanteda and here: "PAGE 1." is a sentence)
_PAGE_SENTENCES = [4, 3, 2]


def _numbers_are_not_words(ours, published):
    """Ours equals quanteda's mean sentence length less the one number of each text."""
    expected = [(round(p * n) - 1) / n for p, n in zip(published, _PAGE_SENTENCES)]
    ok = all(abs(o - e) < 1e-12 for o, e in zip(ours, expected))
    return ok, (f"ours {[round(o, 4) for o in ours]} = quanteda's {published} with the page number "
                f"of each text not counted as a word ({[round(e, 4) for e in expected]})")


@case(id="readability-mean-sentence-length", family="readability", method="mean sentence length",
      reference="quanteda.textstats textstat_readability(txt, measure = 'all')$meanSentenceLength",
      source=f"{TEST_FILE}, 'readability works with sentence length filtering' (3, 1.67, 5.50)",
      data="the test's three texts ('PAGE 1. This is a single sentence. ...')",
      published=[3, 1.67, 5.50], check=_numbers_are_not_words,
      reason="quanteda counts numbers ('1' of 'PAGE 1.') as words; the readability formulas here count "
             "words of letters (analysis.tokens, as every other count of the toolkit), so each text has "
             "one word less over the same sentences.")
def _():
    return [style_measures(t)["mean_sentence_length"] for t in _PAGES]


@case(id="readability-fk-grade-inaugural", family="readability", method="Flesch-Kincaid grade",
      reference="quanteda.textstats textstat_readability(data_corpus_inaugural[48:58], "
                "c('Flesch.Kincaid', 'Dale.Chall.old'))",
      source=f"{DOCS}, second example",
      data="inaugural addresses 2001-Bush and 2009-Obama (NLTK's inaugural corpus, same words as "
           "quanteda's); Punkt trained on the two addresses",
      published={"2001-Bush": 8.933091, "2009-Obama": 10.234345}, atol=0.5,
      reason="The formula is the same; the syllable counts are not: quanteda's nsyllable looks words up "
             "in the CMU pronouncing dictionary, ours are vowel-group rules (count_syllables), and its "
             "sentences are ICU's, ours Punkt's. Ours are 0.3-0.4 grades lower on these addresses "
             "(tolerance 0.5 grade).")
def _():
    from nltk.corpus import inaugural

    texts = {k: inaugural.raw(f"{k}.txt") for k in ("2001-Bush", "2009-Obama")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tok = train_punkt(list(texts.values()))
    return {k: style_measures(t, tok)["fk_grade"] for k, t in texts.items()}
