"""Scale: Parquet tables (``run.table_format``) and the one execution layer (``--workers``).

The Parquet bytes of two runs on the same inputs are identical; every reader
accepts either format; and the tables of ``--workers 2`` equal those of
``--workers 1`` byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.errors import UsageError
from analysis.run import tables as tables_mod
from analysis.run.runner import run_pipeline
from analysis.run.tables import read_table, table_formats, table_path, write_csv, write_parquet
from analysis.stats.parallel import chunks, n_workers, pmap, use_workers

FAST = {"compare": {"n_boot": 20, "collocation_top": 50}, "topics": {"k_min": 2, "k_max": 4, "k_step": 2, "n_runs": 2, "n_boot": 20, "auto_lda_max_units": 100000},
        "frames": {"n_boot": 30, "changepoint_min_size": 2}}


@pytest.fixture(scope="module")
def tiny(inaugural):
    ids = [d for d in inaugural.doc_ids if int(d[:4]) >= 1989][:6]
    return inaugural.subset(ids)


def _files(out: Path, ext: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob(f"*.{ext}"))}


def _frame():
    return pd.DataFrame({"unit_id": ["a-1", "a-2", "b-1"], "doc_id": ["a", "a", "b"], "year": [1990, 1990, 2001],
                         "rate": [0.1234567891234, np.nan, 3.0], "text": ["x", None, "z"]})


# ----------------------------------------------------------------- formats
def test_auto_format_is_parquet_only_for_large_unit_tables(monkeypatch):
    df = _frame()
    assert table_formats("frames_units", df) == ("csv",)            # small: CSV
    monkeypatch.setattr(tables_mod, "PARQUET_MIN_ROWS", 3)
    assert table_formats("frames_units", df) == ("parquet",)        # a unit table at the threshold
    assert table_formats("topic_examples", df) == ("parquet",)      # any table with unit_id
    assert table_formats("frames_years", df.drop(columns="unit_id")) == ("csv",)  # not unit-level
    assert table_formats("frames_years", df, "both") == ("csv", "parquet")
    assert table_formats("units", df, "csv") == ("csv",)
    with pytest.raises(ValueError, match="table_format"):
        table_formats("units", df, "feather")


def test_parquet_bytes_are_deterministic_and_read_back_like_csv(tmp_path):
    df = _frame()
    a, b = write_parquet(df, tmp_path / "a.parquet"), write_parquet(df.copy(), tmp_path / "b.parquet")
    assert a.read_bytes() == b.read_bytes()
    write_csv(df, tmp_path / "c.csv")
    from_pq, from_csv = read_table(a), read_table(tmp_path / "c.csv")
    pd.testing.assert_frame_equal(from_pq, from_csv, check_dtype=False, rtol=1e-9)
    assert read_table(tmp_path / "a").equals(from_pq)                # a name without extension is found
    mixed = pd.DataFrame({"unit_id": ["1", 2, None]})                 # object column mixing types
    assert read_table(write_parquet(mixed, tmp_path / "m.parquet"))["unit_id"].tolist()[:2] == ["1", "2"]


def test_two_runs_write_byte_identical_parquet(tiny, tmp_path):
    ov = {**FAST, "run": {"table_format": "parquet"}}
    for name in ("one", "two"):
        ctx = run_pipeline(tiny, tmp_path / name, overrides=ov, only=["frames"], verbose=False, progress=False,
                           use_cache=name == "one")
        assert ctx.errors == []
    one, two = _files(tmp_path / "one", "parquet"), _files(tmp_path / "two", "parquet")
    assert "units.parquet" in one and "frames_units.parquet" in one
    assert _files(tmp_path / "one", "csv") == {}                      # no CSV beside them
    assert one == two


def test_a_warm_run_copies_the_cached_table_bytes(tiny, tmp_path, monkeypatch):
    """Large tables' file bytes come from the cache on a warm run, the bytes the writers give."""
    import analysis.run.context as context_mod

    monkeypatch.setattr(context_mod, "CSV_CACHE_MIN_ROWS", 10)
    monkeypatch.setattr(tables_mod, "PARQUET_MIN_ROWS", 10)
    ov = {**FAST, "run": {"table_format": "both"}}
    out = tmp_path / "run"
    cold = run_pipeline(tiny, out, overrides=ov, only=["frames"], verbose=False, progress=False)
    first = {**_files(out, "parquet"), **_files(out, "csv")}
    warm = run_pipeline(tiny, out, overrides=ov, only=["frames"], verbose=False, progress=False)
    steps = lambda ctx, how: [s.split("/")[-1] for s, h in ctx.cache.log if h == how]
    assert "_render_parquet" in steps(cold, "computed") and "_render_csv" in steps(cold, "computed")
    assert "_render_parquet" in steps(warm, "cached") and "_render_csv" in steps(warm, "cached")
    assert "_render_parquet" not in steps(warm, "computed")
    assert {**_files(out, "parquet"), **_files(out, "csv")} == first
    # the cached bytes are those the writers give the table (a run without the cache calls them)
    no_cache = run_pipeline(tiny, tmp_path / "plain", overrides=ov, only=["frames"], verbose=False,
                            progress=False, use_cache=False)
    assert no_cache.errors == [] and {**_files(tmp_path / "plain", "parquet"), **_files(tmp_path / "plain", "csv")} == first


def test_readers_accept_parquet_and_a_switch_removes_the_other_format(tiny, tmp_path):
    from analysis.notebook import Tables
    from analysis.stages.figures import redraw

    out = tmp_path / "run"
    run_pipeline(tiny, out, overrides={**FAST, "run": {"table_format": "both"}}, only=["frames"],
                 verbose=False, progress=False)
    both = read_table(out / "tables" / "frames_years.csv"), read_table(out / "tables" / "frames_years.parquet")
    pd.testing.assert_frame_equal(*both, check_dtype=False, rtol=1e-9)
    ctx = run_pipeline(tiny, out, overrides={**FAST, "run": {"table_format": "parquet"}}, only=["frames"],
                       verbose=False, progress=False)
    assert not (out / "tables" / "frames_years.csv").exists() and table_path(out / "tables", "frames_years")
    assert ctx.written["frames_years"]["files"] == ["frames_years.parquet"]
    assert Tables(out)["frames_years"].shape == both[0].shape and "frames_units" in Tables(out)
    # a later run reads the recorded Parquet tables (ctx.table) and redraw reads them too
    later = run_pipeline(tiny, out, overrides={"figures": {"formats": "png"}}, only=["figures"],
                         verbose=False, progress=False)
    assert "frames_years" in later.recorded_tables and later.recorded_tables["frames_years"].suffix == ".parquet"
    index = redraw(out, formats="png", log=lambda m: None)
    assert (index.loc[index["source_tables"].astype(str).str.contains("frames_years"), "status"] == "drawn").any()


def test_run_settings_are_declared_and_validated(tmp_path, tiny):
    from analysis.cli import app
    from analysis.cli.run import settings_table

    res = CliRunner().invoke(app, ["settings", "run"])
    assert res.exit_code == 0 and "run.workers" in res.output and "run.scheduler" in res.output
    assert {r["key"] for r in settings_table("run")} == {"table_format", "workers", "scheduler"}
    with pytest.raises(UsageError, match="choose one of"):
        run_pipeline(tiny, tmp_path, overrides={"run": {"table_format": "feather"}}, verbose=False)
    with pytest.raises(UsageError, match="run.workers"):
        run_pipeline(tiny, tmp_path, workers=0, verbose=False)


# ----------------------------------------------------------------- the execution layer
def _square_plus(x, y):
    return x * x + y


def test_pmap_keeps_task_order_for_any_workers_and_submission_order():
    tasks = [(i, 1) for i in range(7)]
    serial = pmap(_square_plus, tasks)
    assert serial == [i * i + 1 for i in range(7)]
    assert pmap(_square_plus, tasks, workers=2, order=list(range(6, -1, -1))) == serial
    with use_workers(2):
        assert n_workers() == 2
    assert n_workers() == 1
    assert chunks(5, 2) == [(0, 2), (2, 4), (4, 5)]


def _pid(_):
    import os

    return os.getpid()


def test_isolate_sends_a_single_task_to_a_worker_process():
    """A call that holds the interpreter lock (tomotopy's sampler) runs on a worker process when the
    run has more than one worker, even alone; with one worker it runs here."""
    import os

    here = os.getpid()
    with use_workers(2):
        assert pmap(_pid, [(0,)]) == [here]  # one task, not isolated: this process
        assert pmap(_pid, [(0,)], isolate=True) != [here]
        assert pmap(_square_plus, [(3, 1)], isolate=True) == [10]
    assert pmap(_pid, [(0,)], isolate=True) == [here]  # one worker: nowhere else to go


def test_parallel_map_is_pmap_only_where_tasks_run_elsewhere():
    """The ``map`` that block-cutting functions get: none with one worker (the blocks run here),
    pmap with several, and none again inside a task (a task's own blocks run in its process)."""
    from analysis.stats.parallel import parallel_map

    assert parallel_map() is None
    with use_workers(2):
        assert parallel_map() is pmap
        assert pmap(_map_inside, [(0,), (1,)]) == [False, False]
    assert parallel_map() is None


def _map_inside(_):
    from analysis.stats.parallel import parallel_map

    return parallel_map() is not None


def test_the_gibbs_fits_run_beside_the_other_steps(tiny, tmp_path, monkeypatch):
    """The topics stage isolates its fits at the chosen K (tomotopy holds the interpreter lock)."""
    import analysis.run.context as context_mod

    seen = []
    real = context_mod.RunContext.call_each

    def spy(self, calls, *a, isolate=False, **kw):
        seen.extend((fn.__name__, isolate) for fn, _, _ in calls)
        return real(self, calls, *a, isolate=isolate, **kw)

    monkeypatch.setattr(context_mod.RunContext, "call_each", spy)
    monkeypatch.setattr(context_mod.StepContext, "call_each", spy)
    run_pipeline(tiny, out=tmp_path / "o", only=["topics"], use_cache=False, verbose=False, progress=False,
                 overrides={"topics": {"k": 2, "models": ("nmf", "lda"), "lda_engine": "gibbs", "gibbs_iter": 20,
                                       "n_boot": 0, "dynamic": False}})
    fits = [iso for name, iso in seen if name == "fit_topic_model"]
    assert fits and all(fits)


def test_workers_2_writes_the_tables_of_workers_1(tiny, tmp_path, monkeypatch):
    from analysis.framing import frames, indices, passages, rates, sentiment
    from analysis.textstats import similarity

    monkeypatch.setattr(frames, "COUNT_CHUNK", 50)      # several tasks even on a tiny corpus
    monkeypatch.setattr(sentiment, "SENTIMENT_CHUNK", 50)
    monkeypatch.setattr(passages, "PASSAGE_CHUNK", 50)
    monkeypatch.setattr(rates, "RATES_CHUNK", 2)
    monkeypatch.setattr(indices, "INDEX_CHUNK", 2)
    monkeypatch.setattr(similarity, "BOOT_CHUNK", 2)
    only = ["compare", "topics", "frames"]
    runs = {}
    for w in (1, 2):
        ctx = run_pipeline(tiny, tmp_path / f"w{w}", overrides=FAST, only=only, workers=w, use_cache=False,
                           verbose=False, progress=False)
        assert ctx.errors == []
        runs[w] = _files(tmp_path / f"w{w}", "csv")
    assert runs[1].keys() == runs[2].keys() and "topic_selection.csv" in runs[1]
    assert [n for n in runs[1] if runs[1][n] != runs[2][n]] == []
    import json

    assert json.loads((tmp_path / "w2" / "run.json").read_text())["workers"] == 2


def test_call_many_caches_each_task_and_resumes(tmp_path, tiny):
    from analysis.run.cache import Cache
    from analysis.run.context import RunContext

    ctx = RunContext(corpus=tiny, full_corpus=tiny, out=tmp_path, cache=Cache(tmp_path / "c"))
    first = ctx.call_many(_square_plus, [((2,), {"y": 1}), ((3,), {"y": 1})])
    assert first == [5, 10] and ctx.cache.misses == 2
    with use_workers(2):  # a further task: the two done are read back, only the new one is computed
        again = ctx.call_many(_square_plus, [((2,), {"y": 1}), ((3,), {"y": 1}), ((4,), {"y": 0})], order=[2, 1, 0])
    assert again == [5, 10, 16] and ctx.cache.hits == 2 and ctx.cache.misses == 3
    assert ctx.call(_square_plus, 4, y=0) == 16 and ctx.cache.hits == 3  # the same key as ctx.call


def test_resample_sums_equal_the_one_shot_product_in_small_batches():
    from analysis.stats.bootstrap import resample_counts, resample_sums

    X = np.random.default_rng(0).integers(0, 50, size=(37, 3)).astype(float)   # counts: exact sums
    for n_boot in (1, 99, 200):
        full = resample_counts(37, n_boot, np.random.default_rng(7)) @ X
        assert np.array_equal(resample_sums(X, n_boot, np.random.default_rng(7), max_cells=100), full)
    assert resample_sums(X[:0], 5, np.random.default_rng(7)).shape == (5, 3)


def test_an_interrupted_k_scan_resumes_from_the_cached_fits(tiny, tmp_path, monkeypatch):
    """The fourth K-scan task fails (as if the run were killed); the next run reads the three done."""
    from analysis.run import context as context_mod

    ov = {"topics": {**FAST["topics"], "scan_models": "all"}}  # both models scanned over K
    real, calls = context_mod._apply, []

    def dying(fn, args, kwargs):
        calls.append(fn.__name__)
        if len(calls) == 4:
            raise KeyboardInterrupt("interrupted mid-scan")
        return real(fn, args, kwargs)

    monkeypatch.setattr(context_mod, "_apply", dying)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(tiny, tmp_path / "run", overrides=ov, only=["topics"], verbose=False, progress=False)
    # 2 models x 2 Ks: the reported model's two scan tasks (they choose K, step topics.select), then
    # the other model's fit at that K (step topics.fit_others: the longest remaining path runs
    # first), then the batch of the other model's scan and the reported fit (step topics.fit),
    # whose first task was cut off
    assert calls[:2] == ["stat_k_scan"] * 2 and len(calls) == 4
    monkeypatch.setattr(context_mod, "_apply", real)
    seen = []

    from analysis.run import monitor, runner

    class Tasks:  # a bar of the tasks left, as call_many drives it
        def advance(self, n=1):
            seen.append("+")

        def close(self):
            seen.append("closed")

    class Bar(monitor._NoBar):  # the run's progress display
        def tasks(self, description, total):
            seen.append((description, total))
            return Tasks()

    monkeypatch.setattr(runner, "progress_display", lambda enabled, total: Bar())
    again = run_pipeline(tiny, tmp_path / "run", overrides=ov, only=["topics"], verbose=False, progress=False)
    assert again.errors == [] and again.cache.hits >= 3    # the two scan tasks and the other model's fit
    k = again.facts["topics"]["k"]
    # the scan batch was all cached (no bar); the cut-off batch runs in full
    assert seen[0] == (f"topics: K scan and the fit at K={k} (0 cached)", 3)
    assert seen[1:5] == ["+", "+", "+", "closed"]
    assert len(read_table(tmp_path / "run" / "tables" / "topic_selection.csv")) == 4   # 2 models x 2 Ks
