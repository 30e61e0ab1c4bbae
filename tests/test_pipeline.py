"""r2p run: documents.csv, units.csv, run.json, caching, overrides."""

import json

import pandas as pd
import pytest

from analysis.run.runner import parse_overrides, run_pipeline


def test_run_writes_contract_tables(tmp_path, small_corpus):
    ctx = run_pipeline(small_corpus, tmp_path, only=["corpus"], verbose=False)
    docs = pd.read_csv(tmp_path / "tables" / "documents.csv")
    assert {"doc_id", "date", "year", "speaker", "available", "n_tokens", "n_paragraphs"} <= set(docs.columns)
    assert len(docs) == len(small_corpus)
    units = pd.read_csv(tmp_path / "tables" / "units.csv")
    assert units.columns.tolist() == ["unit_id", "doc_id", "position", "n_tokens", "text"]
    assert units.groupby("doc_id")["n_tokens"].sum().to_dict() == docs.set_index("doc_id")["n_tokens"].to_dict()
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["seed"] == 20170906 and run["corpus"]["hash"] == small_corpus.fingerprint()
    assert run["versions"]["pandas"] == pd.__version__
    assert "total" in run["timings_seconds"] and run["errors"] == []
    assert run["text_settings"]["remove_stopwords"] is True
    assert ctx.tables["documents"].shape[0] == len(small_corpus)


def test_sg_r2p_documents_reports_missing(tmp_path, sg_corpus):
    run_pipeline(sg_corpus, tmp_path, only=["corpus"], verbose=False)
    docs = pd.read_csv(tmp_path / "tables" / "documents.csv")
    assert len(docs) == 59 and docs["available"].sum() == 1
    assert docs.loc[docs["available"], "n_paragraphs"].item() == 27
    assert (docs["annotations_removed"] == 0).all()  # the anchor carries no transcript annotations


def test_same_inputs_same_tables_and_cache_hits(tmp_path, small_corpus):
    run_pipeline(small_corpus, tmp_path / "a", only=["corpus"], verbose=False)
    ctx = run_pipeline(small_corpus, tmp_path / "a", only=["corpus"], verbose=False)
    assert ctx.cache.hits >= 1
    run_pipeline(small_corpus, tmp_path / "b", only=["corpus"], verbose=False, use_cache=False)
    for t in ["documents.csv", "units.csv"]:
        assert (tmp_path / "a" / "tables" / t).read_bytes() == (tmp_path / "b" / "tables" / t).read_bytes()


def test_failed_stage_is_recorded_and_others_go_on(tmp_path, small_corpus, monkeypatch):
    import analysis.stages.compare as C

    def boom(ctx, cfg):
        raise RuntimeError("planted failure")

    monkeypatch.setattr(C, "run", boom)
    ctx = run_pipeline(small_corpus, tmp_path, verbose=False, only=["compare", "novelty"])
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["errors"][0]["stage"] == "compare" and "planted failure" in run["errors"][0]["error"]
    assert "documents" in ctx.tables and "novelty" in ctx.tables


def test_overrides_parse_and_reject_unknown(tmp_path, small_corpus):
    assert parse_overrides(["topics.k=8", "compare.terms=[a, b]", "text.stem=true"]) == {
        "topics": {"k": 8}, "compare": {"terms": ["a", "b"]}, "text": {"stem": True}}
    with pytest.raises(ValueError, match="STAGE.KEY=VALUE"):
        parse_overrides(["k=8"])
    with pytest.raises(ValueError, match="unknown settings group"):
        run_pipeline(small_corpus, tmp_path, overrides={"nosuch": {"a": 1}}, verbose=False)
    with pytest.raises(ValueError, match="unknown stage"):
        run_pipeline(small_corpus, tmp_path, only=["nosuch"], verbose=False)


def test_text_overrides_reach_settings(tmp_path, small_corpus):
    ctx = run_pipeline(small_corpus, tmp_path, only=["corpus"], overrides={"text": {"stem": True}}, verbose=False)
    assert ctx.text_settings.stem is True
    assert json.loads((tmp_path / "run.json").read_text())["text_settings"]["stem"] is True


def test_blas_threads_pinned_during_stages_and_recorded(tmp_path, small_corpus, monkeypatch):
    import analysis.stages.corpus as C
    from threadpoolctl import threadpool_info

    seen = []

    def probe(ctx, cfg):
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    monkeypatch.setattr(C, "run", probe)
    run_pipeline(small_corpus, tmp_path, verbose=False, only=["corpus"])
    assert seen and set(seen) == {1}
    assert json.loads((tmp_path / "run.json").read_text())["threads"] == 1
