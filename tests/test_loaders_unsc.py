"""UN Security Council debates from their published files; fixtures follow the documented formats.

Schoenfeld et al. (doi:10.7910/DVN/KGVSYH): ``speeches.tar`` of
``UNSC_YYYY_SPV.NNNN_spchNNN.txt``, ``speaker.tsv`` (one row per speech) and
``meta.tsv`` (one row per meeting). Sakamoto & Matsuoka (doi:10.7910/DVN/CKPTRB):
``speeches.tsv`` and ``meetings.tsv`` (column names assumed, see analysis/loaders/unsc.py).
"""

from __future__ import annotations

import io
import tarfile

import pandas as pd
import pytest

from analysis.corpus import CorpusError, load_corpus
from analysis.loaders.unsc import load_unsc_meetings, meeting_symbol, speaker_role

SPEECHES = [  # filename, speaker, participanttype, role_in_un, country, text
    ("UNSC_2014_SPV.7155_spch001.txt", "Ms. Lucas", "The President", "", "Luxembourg", "I call on the Secretary-General."),
    ("UNSC_2014_SPV.7155_spch002.txt", "The Secretary-General", "The Secretary-General", "", "UN",
     "Twenty years after Rwanda, we must act on the responsibility to protect."),
    ("UNSC_2014_SPV.7155_spch003.txt", "Mr. Eliasson", "Guest", "Deputy Secretary-General", "UN", "The Deputy speaks."),
    ("UNSC_2014_SPV.7155_spch004.txt", "Mr. Gasana", "Mentioned", "", "Rwanda", "Never again."),
    ("UNSC_2015_SPV.7481_spch001.txt", "Mr. Ban Ki-moon", "Guest", "Secretary-General", "UN", "Srebrenica."),
    ("UNSC_2015_SPV.7481_spch002.txt", "Mr. Churkin", "Mentioned", "", "Russian Federation", ""),
]
META = [  # basename, date, num_speeches, topic, pressrelease, outcome
    ("UNSC_2014_SPV.7155", "2014-04-16", "4", "Threats to international peace and security", "SC/11356", "None"),
    ("UNSC_2015_SPV.7481", "2015-07-08", "2", "Bosnia and Herzegovina", "SC/11961", "draft resolution vetoed"),
]


def write_schoenfeld(root, tar=True, drop_file=None, extra_file=False):
    root.mkdir(parents=True, exist_ok=True)
    sp = pd.DataFrame(SPEECHES, columns=["filename", "speaker", "participanttype", "role_in_un", "country", "text"])
    sp["basename"] = sp["filename"].str.replace(r"_spch\d+\.txt$", "", regex=True)
    sp["speech"] = sp["filename"].str.extract(r"spch(\d+)")[0].astype(int)
    sp.drop(columns="text")[["filename", "basename", "speech", "speaker", "participanttype", "role_in_un",
                             "country"]].to_csv(root / "speaker.tsv", sep="\t", index=False)
    pd.DataFrame(META, columns=["basename", "date", "num_speeches", "topic", "pressrelease", "outcome"]).to_csv(
        root / "meta.tsv", sep="\t", index=False)
    files = {f: t.encode() for f, t in zip(sp["filename"], sp["text"]) if f != drop_file}
    if extra_file:
        files["UNSC_2016_SPV.7777_spch009.txt"] = b"An unlisted speech."
    if tar:
        with tarfile.open(root / "speeches.tar", "w") as tf:
            for name, data in files.items():
                meeting = name.rsplit("_spch", 1)[0]
                info = tarfile.TarInfo(f"speeches/{meeting}/{name}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    else:
        for name, data in files.items():
            (root / "speeches").mkdir(exist_ok=True)
            (root / "speeches" / name).write_bytes(data)
    return root


def test_schoenfeld_from_tar_joins_speaker_and_meta(tmp_path):
    c = load_corpus(write_schoenfeld(tmp_path / "unsc"))
    dv = c.docvars.set_index("doc_id")
    assert len(c) == 6
    sg = c.docvars[c.docvars["speaker_role"] == "Secretary-General"]["doc_id"].tolist()
    assert sg == ["UNSC_2014_SPV.7155_spch002", "UNSC_2015_SPV.7481_spch001"]  # not the Deputy
    r = dv.loc["UNSC_2014_SPV.7155_spch003"]
    assert (r["speaker_role"], r["speaker"], r["country"]) == ("Deputy Secretary-General", "Mr. Eliasson", "UN")
    assert dv.loc["UNSC_2014_SPV.7155_spch001", "speaker_role"] == "President"
    assert dv.loc["UNSC_2014_SPV.7155_spch004", "speaker_role"] == "Council member"
    r = dv.loc["UNSC_2015_SPV.7481_spch001"]
    assert (r["meeting"], r["date"], int(r["year"]), r["outcome"]) == ("S/PV.7481", "2015-07-08", 2015,
                                                                      "draft resolution vetoed")
    assert (c.docvars["source"] == "unsc-debates").all()
    assert "Rwanda" in c.texts["UNSC_2014_SPV.7155_spch002"]
    # the empty speech is skipped and reported; its row stays, without text
    assert "UNSC_2015_SPV.7481_spch002" not in c.texts and len(c.missing()) == 1
    assert c.issues["problem"].str.contains("empty").any()


def test_schoenfeld_extracted_folder_reads_like_the_tar(tmp_path):
    a = load_corpus(write_schoenfeld(tmp_path / "tar"))
    b = load_corpus(write_schoenfeld(tmp_path / "dir", tar=False))
    assert a.texts == b.texts
    pd.testing.assert_frame_equal(a.docvars, b.docvars)


def test_schoenfeld_unlisted_and_missing_files_degrade(tmp_path):
    c = load_corpus(write_schoenfeld(tmp_path / "u", drop_file="UNSC_2014_SPV.7155_spch004.txt", extra_file=True))
    dv = c.docvars.set_index("doc_id")
    assert dv.loc["UNSC_2016_SPV.7777_spch009", ["meeting", "year"]].tolist() == ["S/PV.7777", 2016]
    assert not dv.loc["UNSC_2014_SPV.7155_spch004", "available"]
    probs = " | ".join(c.issues["problem"])
    assert "not in speaker.tsv" in probs and "have no file" in probs


def test_speaker_role_rules():
    assert speaker_role("The Secretary-General") == "Secretary-General"
    assert speaker_role("Guest", "Secretary-General") == "Secretary-General"
    assert speaker_role("Guest", "Deputy Secretary-General") == "Deputy Secretary-General"
    assert speaker_role(None, None, "The SECRETARY-GENERAL") == "Secretary-General"
    assert speaker_role("The PRESIDENT") == "President"
    assert speaker_role(None, None, "Mr. X", True) == "UN official"
    assert meeting_symbol("UNSC_2014_SPV.7155") == "S/PV.7155"


def write_meetings(root, **rename):
    root.mkdir(parents=True, exist_ok=True)
    sp = pd.DataFrame({
        "speech_id": ["m1_1", "m1_2", "m1_3", "m2_1"],
        "meeting_id": ["S/PV.5781", "S/PV.5781", "S/PV.5781", "S/PV.4"],
        "speaker": ["Ban Ki-moon", "Mr. Holmes", "Mr. Kumalo", "Mr. Gromyko"],
        "country": ["United Nations", "United Nations", "South Africa", "USSR"],
        "role": ["Secretary-General", "Under-Secretary-General for Humanitarian Affairs", "", ""],
        "un_official": ["1", "1", "0", "0"],
        "text": ["Protecting civilians is our duty.", "The humanitarian situation.", "Thank you.", ""],
    }).rename(columns=rename)
    sp.to_csv(root / "speeches.tsv", sep="\t", index=False)
    pd.DataFrame({"meeting_id": ["S/PV.5781", "S/PV.4"], "date": ["2007-11-20", "1946-01-25"],
                  "agenda": ["Protection of civilians in armed conflict", "Iran"]}).rename(
        columns={k: v for k, v in rename.items() if k == "meeting_id"}).to_csv(root / "meetings.tsv", sep="\t",
                                                                              index=False)
    return root


def test_sakamoto_matsuoka_speeches_and_meetings(tmp_path):
    c = load_corpus(write_meetings(tmp_path / "m"))
    dv = c.docvars.set_index("doc_id")
    assert len(c) == 4 and (c.docvars["source"] == "unsc-meetings").all()
    assert c.docvars.loc[c.docvars["speaker_role"] == "Secretary-General", "doc_id"].tolist() == ["m1_1"]
    r = dv.loc["m1_2"]
    assert (r["speaker_role"], bool(r["un_official"]), r["meeting"], r["date"], int(r["year"])) == (
        "Under-Secretary-General for Humanitarian Affairs", True, "S/PV.5781", "2007-11-20", 2007)
    assert pd.isna(dv.loc["m1_3", "speaker_role"]) and dv.loc["m1_3", "country"] == "South Africa"
    assert dv.loc["m2_1", "agenda"] == "Iran" and not dv.loc["m2_1", "available"]
    assert c.issues["problem"].str.contains("without text").any()


def test_sakamoto_matsuoka_other_column_names(tmp_path):
    root = write_meetings(tmp_path / "m", text="speech_body", meeting_id="mtg")
    with pytest.raises(CorpusError, match=r"no column for text and meeting .*columns: speech_id"):
        load_corpus(root)
    c = load_unsc_meetings(root, columns={"text": "speech_body", "meeting": "mtg"})
    assert c.texts["m1_1"] == "Protecting civilians is our duty." and c.docvars["meeting"].iloc[0] == "S/PV.4"
