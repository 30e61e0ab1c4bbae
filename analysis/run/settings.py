"""The run layer's name for the declared-settings machinery (it lives in :mod:`analysis.settings`,
below every layer, because the tokens layer's ``TextSettings`` is declared with it too), and the
``run`` settings group: how a run writes its tables and where its tasks run (worker processes
or a Dask cluster)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analysis.errors import UsageError
from analysis.run.tables import PARQUET_MIN_ROWS, TABLE_FORMATS
from analysis.settings import SettingSpec, StageSettings, coerce_value, parse_assignments, setting

__all__ = ["StageSettings", "SettingSpec", "setting", "parse_assignments", "coerce_value", "RunSettings",
           "RESULT_NEUTRAL"]


@dataclass(frozen=True)
class RunSettings(StageSettings):
    """Settings of the run itself (``--set run.KEY=VALUE``; ``r2p run --workers N --scheduler S``).

    None changes a result: ``table_format`` chooses the files a table is written
    to, ``workers`` how many processes compute it and ``scheduler`` the Dask cluster
    that computes it instead (every task is seeded by its own key, so tables are
    byte-identical for any number of workers and any cluster). None enters a
    cache key; all are recorded in ``run.json``.
    """

    group: ClassVar[str] = "run"

    table_format: str = setting("auto", f"Table files: auto (Parquet for unit-level tables of >= "
                                f"{PARQUET_MIN_ROWS:,} rows, else CSV), csv, parquet, or both.",
                                choices=TABLE_FORMATS, alt="parquet")
    workers: int = setting(1, "Worker processes for the K scan, the bootstraps and the dictionary counts "
                           "(identical tables for any value; `r2p run --workers N`; more than 256 local processes is refused: "
                           "use --scheduler for a cluster).", ge=1, le=256, alt=2)
    scheduler: str | None = setting(None, "Dask cluster for those tasks instead of local processes: `local:N` "
                                    "(a LocalCluster of N workers) or `tcp://HOST:PORT`; none = local "
                                    "(`pip install r2p-analysis[dask]`; identical tables).", alt="local:1")

    def __post_init__(self):
        from analysis.stats.parallel import parse_scheduler

        try:
            parse_scheduler(self.scheduler)
        except ValueError as e:
            raise UsageError(f"run.scheduler: {e} (`r2p run --scheduler local:2`)") from None


#: settings groups whose values never change a table's content
RESULT_NEUTRAL = ("run",)
