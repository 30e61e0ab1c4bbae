"""A cache entry is served only if its bytes are the bytes written (issue 27, point 1).

Regression tests of the rows of issue 27: a flipped byte inside a cached pickle was
served silently (a float of a cached DataFrame changed); ten flipped entries crashed
the rerun (segmentation fault, bad_alloc); a flipped byte in a compressed-CSV entry
made every later run fail in stage ``corpus`` ("Error -3 while decompressing data").
"""

from __future__ import annotations

import json
import pickle
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.run.cache import Cache
from tests.faults import harness


def _entry_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".tmp")
                  and not p.name.startswith("."))


def test_a_flipped_byte_in_a_float_of_a_cached_frame_is_never_served(tmp_path):
    value = pd.DataFrame({"share": np.linspace(0.1, 0.9, 50), "term": [f"t{i}" for i in range(50)]})
    cache = Cache(tmp_path / "c", salt="x")
    assert cache.get_or_compute("s", {"a": 1}, lambda: value) is value
    (entry,) = _entry_files(tmp_path / "c")
    data = bytearray(entry.read_bytes())
    at = data.find(struct.pack("<d", value["share"].iloc[17]))  # the float's 8 bytes in the pickle
    assert at > 0
    data[at + 6] ^= 0x40                                            # a large change of that float
    entry.write_bytes(bytes(data))

    fresh = Cache(tmp_path / "c", salt="x")
    got = fresh.get_or_compute("s", {"a": 1}, lambda: value.copy())
    pd.testing.assert_frame_equal(got, value)                     # recomputed, not the flipped float
    assert fresh.hits == 0 and fresh.misses == 1
    assert [Path(f) for f, _ in fresh.corrupt] == [entry] and "checksum" in fresh.corrupt[0][1]
    # the entry was written again, intact
    again = Cache(tmp_path / "c", salt="x")
    pd.testing.assert_frame_equal(again.get_or_compute("s", {"a": 1}, lambda: None), value)
    assert again.hits == 1 and again.corrupt == []


@pytest.mark.parametrize("damage", ["truncate", "empty", "append", "old_pickle", "bad_pickle"])
def test_every_unreadable_entry_is_recomputed_and_reported(tmp_path, damage):
    cache = Cache(tmp_path / "c")
    cache.get_or_compute("s", 1, lambda: list(range(1000)))
    (entry,) = _entry_files(tmp_path / "c")
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "append":
        entry.write_bytes(data + b"\0")
    elif damage == "old_pickle":  # an entry of the format before checksums: a bare pickle
        entry.write_bytes(pickle.dumps(list(range(1000))))
    else:  # intact checksum over bytes that are not a pickle
        from analysis.run.checked import write_checked

        write_checked(entry, lambda f: f.write(b"not a pickle"))
    fresh = Cache(tmp_path / "c")
    messages = []
    fresh.warn = messages.append
    assert fresh.get_or_compute("s", 1, lambda: "recomputed") == "recomputed"
    assert len(fresh.corrupt) == 1 and str(entry) in messages[0] and "recomputed" in messages[0]


def test_ten_flipped_entries_rerun_cleanly_with_the_cold_tables(fault_corpus, cold, tmp_path):
    """One random byte flipped in each of ten random entries: the rerun exits 0 (no crash) with the cold bytes."""
    out = tmp_path / "out"
    harness.run(fault_corpus, out)
    files = _entry_files(out / ".cache")
    assert len(files) >= 10
    rng = random.Random(27)
    flipped = rng.sample(files, 10)
    for f in flipped:
        harness.flip_byte(f, rng)
    p = harness.run(fault_corpus, out, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    assert harness.published(out) == cold
    record = json.loads((out / "run.json").read_text())
    reported = {Path(c["file"]) for c in record["cache"]["corrupt"]}
    assert reported == set(flipped)               # every flipped entry was read, refused and named
    assert harness.leftovers(out) == []


def test_a_flipped_compressed_csv_entry_is_recomputed_not_a_failed_stage(small_corpus, tmp_path, monkeypatch):
    """The rendered CSV of a large table is cached zlib-compressed; a flip there must not fail the run."""
    import analysis.run.context as context
    from analysis.run.runner import run_pipeline

    monkeypatch.setattr(context, "CSV_CACHE_MIN_ROWS", 1)       # every table's CSV rendering is cached
    ov = {"compare": {"n_boot": 5}}
    out = tmp_path / "out"
    run_pipeline(small_corpus, out, overrides=ov, only=["corpus"], verbose=False, progress=False)
    cold = harness.published(out)
    flipped = 0
    for f in _entry_files(out / ".cache"):
        data = bytearray(f.read_bytes())
        for start in range(len(data)):
            if data[start:start + 2] in (b"\x78\x01",):         # a zlib stream (level 1) inside the entry
                try:
                    zlib.decompressobj().decompress(bytes(data[start:start + 4096]))
                except zlib.error:
                    continue
                data[start + 40] ^= 0xFF
                f.write_bytes(bytes(data))
                flipped += 1
                break
    assert flipped >= 1
    ctx = run_pipeline(small_corpus, out, overrides=ov, only=["corpus"], verbose=False, progress=False)
    assert ctx.errors == []
    assert harness.published(out) == cold
    assert len(ctx.cache.corrupt) >= flipped


def test_cache_verify_and_clear_commands(fault_corpus, tmp_path):
    from analysis.cli import app

    out = tmp_path / "out"
    harness.run(fault_corpus, out)
    runner = CliRunner()
    ok = runner.invoke(app, ["cache", "verify", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert " 0 damaged" in ok.output
    files = _entry_files(out / ".cache")
    harness.flip_byte(files[3], random.Random(1))
    bad = runner.invoke(app, ["cache", "verify", "--out", str(out)])
    assert bad.exit_code == 1 and "1 damaged" in bad.output
    fixed = runner.invoke(app, ["cache", "verify", "--out", str(out), "--remove"])
    assert fixed.exit_code == 1 and not files[3].exists()
    assert runner.invoke(app, ["cache", "verify", "--out", str(out)]).exit_code == 0
    cleared = runner.invoke(app, ["cache", "clear", "--out", str(out)])
    assert cleared.exit_code == 0 and "removed" in cleared.output
    assert _entry_files(out / ".cache") == []
    assert (out / "tables").is_dir()                            # the tables stay
    missing = runner.invoke(app, ["cache", "verify", "--out", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
