"""Rebuild the similarity cases' count matrices (run by hand, never at test time).

Needs the `rdata` package and a snapshot of github.com/snsoroka/quanteda (a fork of
quanteda/quanteda) at commit 88a9c1768e77a1c8519cf3b0fb9c12b2a56e26e2, whose
``data/data_corpus_inaugural.RData`` holds quanteda's inaugural corpus up to 2017, and
of github.com/quanteda/stopwords at 949edcb8f0324a87681f9ab8d2f7b8a91ed3cf41
(``data/data_stopwords_snowball.rda``: the Snowball list that quanteda's
``stopwords("english")`` returns). Only term counts are written, never text.

    python tests/conformance/data/similarity/make_data.py QUANTEDA_GIT_DIR STOPWORDS_GIT_DIR
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _blob(git_dir: str, path: str) -> Path:
    data = subprocess.run(["git", "-C", git_dir, "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout
    f = Path(tempfile.mkdtemp()) / Path(path).name
    f.write_bytes(data)
    return f


def _write(path: Path, counts: dict[str, Counter]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["doc_id", "term", "count"])
        for doc, c in counts.items():
            for term in sorted(c):
                w.writerow([doc, term, c[term]])


def main(quanteda_git: str, stopwords_git: str) -> None:
    import rdata

    from analysis.tokens import tokens

    warnings.simplefilter("ignore")
    conv = rdata.conversion.convert
    docs = conv(rdata.parser.parse_file(_blob(quanteda_git, "data/data_corpus_inaugural.RData")))
    docs = docs["data_corpus_inaugural"]["documents"]
    snow = conv(rdata.parser.parse_file(_blob(stopwords_git, "data/data_stopwords_snowball.rda")))
    stop = {str(w) for w in next(iter(snow.values()))["en"]}

    # textstat_simil example: tokens(remove_punct = TRUE) |> tokens_remove(stopwords("english")) |> dfm()
    ids = ["2001-Bush", "2005-Bush", "2009-Obama", "2013-Obama", "2017-Trump"]
    _write(HERE / "inaugural_2001_2017_nostop.csv",
           {d: Counter(w for w in tokens(docs.loc[d, "texts"], numbers=True, lowercase=True)
                       if w not in stop) for d in ids})

    # test-textstat_simil.R: tokens() (punctuation kept) |> dfm() |> dfm_trim(min_termfreq = 10),
    # documents 1981-2017; only the two Reagan rows are kept (over the trimmed features)
    rx = re.compile(r"[^\W_]+(?:[-'\u2019.][^\W_]+)*|[^\w\s]")
    years = [d for d in docs.index if 1980 < int(docs.loc[d, "Year"]) < 2021]
    counts = {d: Counter(t.lower() for t in rx.findall(docs.loc[d, "texts"])) for d in years}
    total = sum(counts.values(), Counter())
    keep = {t for t, n in total.items() if n >= 10}
    _write(HERE / "inaugural_reagan_trimmed.csv",
           {d: Counter({t: n for t, n in counts[d].items() if t in keep})
            for d in ("1981-Reagan", "1985-Reagan")})


if __name__ == "__main__":
    main(*sys.argv[1:3])
