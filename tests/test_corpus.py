"""Every loader returns one Corpus with docvars keyed by doc_id."""

import pandas as pd
import pytest

from analysis import CorpusError, load_corpus
from analysis.corpus import Corpus, load_nltk

from .conftest import ANCHOR_ID


def test_sg_r2p_anchor_available_others_missing_with_urls(sg_corpus):
    assert len(sg_corpus) == 59
    assert sg_corpus.anchor == ANCHOR_ID
    av = sg_corpus.available()
    assert av.doc_ids == [ANCHOR_ID]
    missing = sg_corpus.missing()
    assert len(missing) == 58
    assert missing["url"].str.match(r"^https?://").all()
    dv = sg_corpus.docvars
    for col in ["doc_id", "date", "year", "speaker", "role", "venue", "genre", "title", "confirmed", "notes"]:
        assert col in dv.columns
    row = dv.set_index("doc_id").loc[ANCHOR_ID]
    assert row["speaker"] == "António Guterres" and int(row["year"]) == 2017 and row["date"] == "2017-09-06"


def test_sotu_237_addresses():
    c = load_corpus("sotu")
    s = c.summary()
    assert (s["documents"], s["first_year"], s["last_year"]) == (237, 1790, 2026)
    assert c.docvars["doc_id"].is_unique and c.docvars["date"].notna().all()
    assert c.anchor == c.docvars.sort_values("date")["doc_id"].iloc[-1]


def test_nltk_corpora(inaugural):
    assert len(inaugural) == 59
    assert inaugural.docvars.loc[0, ["doc_id", "year", "speaker"]].tolist() == ["1789-Washington", 1789, "Washington"]
    su = load_corpus("state_union")
    assert len(su) == 65
    assert not su.texts["2006-GWBush"].startswith("PRESIDENT GEORGE W. BUSH'S ADDRESS")


def test_nltk_missing_names_download(monkeypatch, tmp_path):
    import nltk

    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(CorpusError, match=r"nltk.download\('inaugural'\)"):
        load_nltk("inaugural")


def test_manifest_folder_with_text_file_and_text_column(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("First speech about prevention.", encoding="utf-8")
    pd.DataFrame(
        {"doc_id": ["a", "b", "c"], "date": ["2001-01-02", "2003-04-05", "2004-01-01"],
         "text_file": ["t/a.txt", None, "t/missing.txt"], "text": [None, "Second speech.", None],
         "party": ["x", "y", "z"]}
    ).to_csv(tmp_path / "manifest.csv", index=False)
    c = load_corpus(tmp_path)
    assert c.doc_ids == ["a", "b", "c"]
    assert c.texts == {"a": "First speech about prevention.", "b": "Second speech."}
    assert c.docvars["year"].tolist() == [2001, 2003, 2004]
    assert c.docvars["party"].tolist() == ["x", "y", "z"]
    assert c.missing()["doc_id"].tolist() == ["c"]


def test_manifest_folder_non_utf8_text_names_file(tmp_path):
    (tmp_path / "a.txt").write_bytes("caf\xe9".encode("latin-1"))
    pd.DataFrame({"doc_id": ["a"], "year": [2000], "text_file": ["a.txt"]}).to_csv(tmp_path / "manifest.csv", index=False)
    c = load_corpus(tmp_path)  # degrades: the document stays, without text, and the file is reported
    assert c.missing()["doc_id"].tolist() == ["a"]
    assert c.issues["file"].str.endswith("a.txt").all() and c.issues["problem"].str.contains("not UTF-8").all()
    with pytest.raises(CorpusError, match=r"a\.txt is not UTF-8"):
        load_corpus(tmp_path, strict=True)


def test_general_debate_folder(tmp_path):
    (tmp_path / "FRA_72_2017.txt").write_text("We support the responsibility to protect.", encoding="utf-8")
    (tmp_path / "BRA_73_2018.txt").write_text("Sovereignty matters.", encoding="utf-8")
    c = load_corpus(tmp_path)
    assert c.doc_ids == ["FRA_72_2017", "BRA_73_2018"]
    assert c.docvars["country_code"].tolist() == ["FRA", "BRA"] and c.docvars["session"].tolist() == [72, 73]
    assert c.docvars["country"].tolist() == ["France", "Brazil"]
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    c = load_corpus(tmp_path)  # one odd name no longer refuses the folder: it is reported and skipped
    assert c.doc_ids == ["FRA_72_2017", "BRA_73_2018"]
    bad = c.issues[c.issues["action"] == "skipped"]
    assert bad["file"].str.endswith("notes.txt").tolist() == [True]
    assert "CODE_SESSION_YEAR.txt" in bad["problem"].iloc[0]


def test_unsc_layout(tmp_path):
    sp = tmp_path / "speeches"
    sp.mkdir()
    (sp / "UNSC_2014_SPV.7155_spch003.txt").write_text("The Council must act.", encoding="utf-8")
    pd.DataFrame({"filename": ["UNSC_2014_SPV.7155_spch003.txt"], "date": ["2014-04-16"], "speaker": ["Eliasson"],
                  "country": ["UN"]}).to_csv(tmp_path / "meta.tsv", sep="\t", index=False)
    c = load_corpus(tmp_path)
    assert c.doc_ids == ["UNSC_2014_SPV.7155_spch003"]
    assert c.docvars.loc[0, "speaker"] == "Eliasson" and int(c.docvars.loc[0, "year"]) == 2014


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_file(tmp_path, suffix):
    df = pd.DataFrame({"year": [1999, 2000], "speaker": ["A", "B"], "text": ["one text", "two texts"]})
    p = tmp_path / f"c{suffix}"
    df.to_csv(p, index=False) if suffix == ".csv" else df.to_parquet(p)
    c = load_corpus(p)
    assert c.doc_ids == ["doc00001", "doc00002"] and c.texts["doc00002"] == "two texts"


def test_table_without_text_column(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame({"year": [1], "body": ["x"]}).to_csv(p, index=False)
    with pytest.raises(CorpusError, match="no 'text' column"):
        load_corpus(p)


def test_unknown_corpus_name():
    with pytest.raises(CorpusError, match="no corpus named 'nope'"):
        load_corpus("nope")


def test_docvars_survive_subset_and_fingerprint(small_corpus):
    sub = small_corpus.subset(small_corpus.docvars["speaker"] == "Obama")
    assert sub.docvars["speaker"].unique().tolist() == ["Obama"]
    assert set(sub.texts) == set(sub.doc_ids)
    assert sub.fingerprint() != small_corpus.fingerprint()
    assert small_corpus.fingerprint() == small_corpus.subset(small_corpus.doc_ids).fingerprint()


def test_duplicate_ids_rejected():
    with pytest.raises(CorpusError, match="duplicate doc_id"):
        Corpus("x", pd.DataFrame({"doc_id": ["a", "a"], "year": [1, 2]}), {})
