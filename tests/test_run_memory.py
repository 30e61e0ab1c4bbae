"""The run's own accounting: the memory sampler, the per-call profile, results not held, tables spilled.

Checked against planted facts: an allocation of known size must show in the
sampled peak; a result nobody holds must be freed; a spilled table must read
back equal to the frame written; the profile must list the calls that ran.
"""

from __future__ import annotations

import gc
import json
import resource
import weakref

import numpy as np
import pandas as pd
import pytest

from analysis.run.cache import Cache
from analysis.run.context import RunContext, TableStore
from analysis.run.memory import RssSampler, release_free_memory, rss_mib
from analysis.run.runner import run_pipeline
from analysis.run.tables import PARQUET_MIN_ROWS
from analysis.stats.parallel import use_workers

linux = pytest.mark.skipif(rss_mib() is None, reason="needs /proc (Linux)")


@pytest.fixture(scope="module")
def tiny(inaugural):
    ids = [d for d in inaugural.doc_ids if int(d[:4]) >= 1989][:6]
    return inaugural.subset(ids)


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "doc_id": [f"d{i % 7}" for i in range(n)],
                         "year": pd.array(np.arange(n) % 30 + 1990, dtype="Int64"), "share": np.arange(n) / n})


def _double(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(share=df["share"] * 2)


def _triple(x: int) -> int:
    return 3 * x


@linux
def test_the_sampler_sees_a_planted_allocation_and_leaves_the_high_water_mark_alone():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    s = RssSampler(interval=0.005)
    base = rss_mib()
    s.window()
    block = np.ones(300 * 2**20 // 8)                 # 300 MiB, touched
    held = s.window_peak_mib()
    del block
    gc.collect()
    peak = s.stop()
    assert held >= base + 250 and peak >= base + 250
    # the kernel's mark is never reset: it still covers the block (a reset would have lowered it)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >= max(before, (base + 250) * 1024)


def test_a_result_nobody_holds_is_freed_and_its_key_reused_while_alive(tmp_path, tiny):
    ctx = RunContext(corpus=tiny, full_corpus=tiny, out=tmp_path, cache=Cache(tmp_path / "c"))
    df = ctx.call(_double, _frame(10))
    ref = weakref.ref(df)
    again = ctx.call(_double, df)                      # df fed by its key (a memo entry)
    assert any(v[1].startswith("result:") for v in ctx._memo.values())
    del df, again
    gc.collect()
    assert ref() is None                               # the context did not keep it alive
    assert not any(isinstance(v[0], weakref.ref) and v[0]() is None for v in ctx._memo.values())


def test_call_each_keys_equal_those_of_call(tmp_path, tiny):
    ctx = RunContext(corpus=tiny, full_corpus=tiny, out=tmp_path, cache=Cache(tmp_path / "c"))
    with use_workers(2):
        out = ctx.call_each([(_triple, (2,), {}), (_double, (_frame(5),), {})], order=[1, 0])
    assert out[0] == 6 and out[1]["share"].iloc[1] == pytest.approx(0.4)
    assert ctx.cache.misses == 2
    assert ctx.call(_triple, 2) == 6 and ctx.cache.hits == 1      # computed by call_each, hit by call
    with pytest.raises(TypeError, match="module-level"):
        ctx.call_each([(ctx.key_of, (1,), {})])


def test_a_large_parquet_table_is_spilled_and_reads_back_equal(tmp_path, tiny):
    from analysis.run.settings import RunSettings

    ctx = RunContext(corpus=tiny, full_corpus=tiny, out=tmp_path, run=RunSettings())
    big, small = _frame(PARQUET_MIN_ROWS), _frame(10)
    ctx.write_table("doc_topics", big)
    ctx.write_table("document_topics", small)
    assert isinstance(ctx.tables, TableStore)
    assert ctx.tables.in_memory() == ["document_topics"] and "doc_topics" in ctx.tables
    pd.testing.assert_frame_equal(ctx.tables["doc_topics"], big)
    assert sorted(ctx.tables) == ["doc_topics", "document_topics"] and len(ctx.tables) == 2
    ctx.tables["doc_topics"] = small                   # set again: held in memory
    assert ctx.tables.in_memory() == ["document_topics", "doc_topics"]


def test_run_json_profiles_each_stage_by_call(tmp_path, tiny):
    ov = {"compare": {"n_boot": 10}}
    run_pipeline(tiny, tmp_path / "r", overrides=ov, only=["compare"], verbose=False, progress=False)
    rec = json.loads((tmp_path / "r" / "run.json").read_text())
    rows = rec["profile"]["compare"]
    names = [r["call"] for r in rows]
    assert "stat_similarity_to_anchor" in names and names[-1] == "(stage code)"
    assert all(r["computed"] == r["n"] for r in rows)
    assert sum(r["seconds"] for r in rows) == pytest.approx(rec["timings_seconds"]["compare"], abs=0.05)
    if rss_mib() is not None:
        assert all(r["peak_mib"] > 0 for r in rows[:-1]) and rec["resources"]["compare"]["peak_mib"] > 0
    run_pipeline(tiny, tmp_path / "r", overrides=ov, only=["compare"], verbose=False, progress=False)
    warm = json.loads((tmp_path / "r" / "run.json").read_text())["profile"]["compare"]
    assert all(r["computed"] == 0 for r in warm if r["call"] != "(stage code)")   # every call from the cache


def _sort_in_place(M) -> int:
    M.sort_indices()                                   # scipy sorts indices and data in place
    return int(M.indices[: M.indptr[1]].tolist() == sorted(M.indices[: M.indptr[1]].tolist()))


def test_a_worker_task_may_change_a_large_argument_in_place():
    """Arrays above joblib's memory-map threshold reach the workers copy-on-write, not read-only."""
    import scipy.sparse as sp

    from analysis.stats.parallel import pimap

    M = sp.random(4000, 2000, density=0.03, format="csr", random_state=1)   # 1.9 MB of data: memory-mapped
    for r in range(M.shape[0]):                        # each row's entries reversed: unsorted indices
        a, b = M.indptr[r], M.indptr[r + 1]
        M.indices[a:b], M.data[a:b] = M.indices[a:b][::-1].copy(), M.data[a:b][::-1].copy()
    M.has_sorted_indices = False
    with use_workers(2):
        assert sorted(pimap(_sort_in_place, [(M,), (M,)])) == [(0, 1), (1, 1)]
    assert not M.has_sorted_indices                    # the caller's matrix is untouched


def test_a_folder_corpus_is_loaded_from_the_cache_until_a_file_changes(tmp_path):
    """The cached corpus equals a fresh load; one changed byte in one file is a cold load again."""
    from analysis.corpus import load_corpus
    from analysis.run.corpus_cache import corpus_key
    from tests.test_loaders_ungdc import release_files, write_tree

    root = write_tree(tmp_path / "ungdc", release_files())
    ov = {"compare": {"n_boot": 5}}

    def run(out):
        run_pipeline(str(root), tmp_path / out, overrides=ov, only=["corpus"], verbose=False, progress=False)
        return json.loads((tmp_path / out / "run.json").read_text())

    cold = run("a")
    warm = run("a")
    assert cold["corpus"]["loaded_from_cache"] is False and warm["corpus"]["loaded_from_cache"] is True
    assert warm["corpus"]["hash"] == cold["corpus"]["hash"] == load_corpus(str(root)).available().fingerprint()
    assert run("b")["corpus"]["loaded_from_cache"] is False          # another OUT, another cache: cold
    assert (tmp_path / "a" / "tables" / "documents.csv").read_bytes() == \
        (tmp_path / "b" / "tables" / "documents.csv").read_bytes()    # the cached corpus's table is the same
    key = corpus_key(str(root), ("laughter",))
    speech = root / "TXT" / "Session 79 - 2024" / "FRA_79_2024.txt"
    speech.write_text("We support the responsibility to protect!", encoding="utf-8")
    assert corpus_key(str(root), ("laughter",)) != key
    changed = run("a")
    assert changed["corpus"]["loaded_from_cache"] is False and changed["corpus"]["hash"] != cold["corpus"]["hash"]
    assert corpus_key(str(root), ("applause",)) != corpus_key(str(root), ("laughter",))
    assert corpus_key("sotu", ()) is None                # a built-in corpus is not a path: loaded every time


def _rss_after_strings(release: bool) -> float:
    """RSS (MiB) in a fresh process after 2 million Arrow-backed strings were made and deleted."""
    import subprocess
    import sys

    code = ("import pandas as pd\n"
            "from analysis.run.memory import release_free_memory, rss_mib\n"
            "s = pd.Series([f'unit-{i:09d}-' * 8 for i in range(2_000_000)], dtype='str')\n"
            "del s\n"
            f"{'release_free_memory()' if release else 'pass'}\n"
            "print(rss_mib())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


@linux
def test_freed_arrow_and_heap_memory_goes_back_to_the_system():
    """Planted: ~400 MB of string columns deleted; released, the process holds far less than it did."""
    pytest.importorskip("pyarrow")
    kept, released = _rss_after_strings(False), _rss_after_strings(True)
    assert kept - released > 200, (kept, released)
    release_free_memory(collect=True)  # and it is safe to call again with nothing to free
