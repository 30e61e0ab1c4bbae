"""The R2P study: UN Secretary-General discourse on the Responsibility to Protect, 2005 to today.

Anchor: the Secretary-General's remarks of 6 September 2017 to the General
Assembly informal interactive dialogue on R2P (the one text that ships with
the corpus). The seed is that date. The dictionaries encode the three pillars,
prevention versus response, sovereignty as responsibility, accountability,
atrocity crimes and civilians (their sources are in
``corpus/dictionaries/README.md``).
"""

from __future__ import annotations

from analysis.profiles.base import Profile

__all__ = ["R2P"]

_PILLARS = ("pillars.pillar_one", "pillars.pillar_two", "pillars.pillar_three")

R2P = Profile(
    name="r2p",
    title="UN Secretary-General statements and reports on the Responsibility to Protect",
    default_corpus="sg-r2p",
    seed=20170906,
    anchor="2017-09-06_antonio-guterres_ga-informal-dialogue",
    frames_dictionary="dictionaries/r2p_frames.yml",
    stance_dictionary="dictionaries/stance.yml",
    kwic_patterns=("responsibility to protect", "prevent*", "sovereign*", "atrocit*", "genocide", "civilian*"),
    # the principle's names and the four atrocity crimes of the 2005 World Summit Outcome, paras 138-139
    passage_patterns=("responsib* to protect", "R2P", "RtoP", "genocid*", "war crime*", "ethnic cleansing",
                      "crime* against humanity"),
    # the anchor against every other statement, and the two Secretaries-General of the period
    comparisons={"sg-r2p": ("anchor", "speaker=António Guterres vs Ban Ki-moon")},
    indices={
        "prevention_response_balance": (
            "balance", "prevention_response.prevention", "prevention_response.response"),
        "pillar_one_share": ("share", "pillars.pillar_one", _PILLARS),
        "pillar_two_share": ("share", "pillars.pillar_two", _PILLARS),
        "pillar_three_share": ("share", "pillars.pillar_three", _PILLARS),
        "sovereignty_as_responsibility_share": (
            "share", "sovereignty.as_responsibility",
            ("sovereignty.as_responsibility", "sovereignty.non_interference")),
        "consensus_contestation_balance": (
            "balance", "consensus_contestation.consensus", "consensus_contestation.contestation"),
        "first_person_plural_share": (
            "share", "first_person.plural", ("first_person.singular", "first_person.plural")),
    },
)
