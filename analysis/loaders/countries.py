"""Country names and UN regional groups for the UN corpora.

:func:`regional_groups` reads ``corpus/un_regional_groups.csv`` (packaged as
``analysis/_corpus/un_regional_groups.csv``), the five regional groups of the
193 Member States as listed by the UN Department for General Assembly and
Conference Management (https://www.un.org/dgacm/en/content/regional-groups),
with the observers and former Member States that occur in the UN General Debate
Corpus. The file's header comments cite the source and the special cases
(Israel, Kiribati, Türkiye, the United States).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from analysis.loaders.base import CorpusError
from analysis.resources import resource_path

__all__ = ["REGIONS_FILE", "regional_groups", "region_of", "country_name", "is_iso3"]

REGIONS_FILE = "un_regional_groups.csv"


@lru_cache(maxsize=1)
def regional_groups() -> pd.DataFrame:
    """One row per code: ``code, name, un_region, status, note`` (``un_region`` empty when in no group)."""
    path = resource_path(REGIONS_FILE)
    try:
        df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError(f"{path}: the table of UN regional groups is missing; reinstall the package "
                          "(pip install --force-reinstall r2p-analysis) or restore corpus/un_regional_groups.csv "
                          "from git") from None
    if df["code"].duplicated().any():
        raise CorpusError(f"{path}: duplicate codes {df.loc[df['code'].duplicated(), 'code'].tolist()}")
    return df


@lru_cache(maxsize=1)
def _region_map() -> dict[str, str]:
    df = regional_groups()
    return {c: r for c, r in zip(df["code"], df["un_region"]) if r}


def region_of(code: str) -> str | None:
    """The UN regional group of ``code`` (``None`` when it has none or is unknown)."""
    return _region_map().get(code)


@lru_cache(maxsize=None)
def is_iso3(code: str) -> bool:
    """Whether ``code`` is a current ISO 3166-1 alpha-3 code."""
    import pycountry

    return pycountry.countries.get(alpha_3=code) is not None


@lru_cache(maxsize=None)
def country_name(code: str) -> str | None:
    """A name for ``code``: ISO 3166-1 (pycountry's common name where it has one), ISO 3166-3 for
    former states, else the regional-groups table; ``None`` when no source knows it."""
    import pycountry

    c = pycountry.countries.get(alpha_3=code)
    if c is not None:
        return getattr(c, "common_name", None) or c.name
    table = regional_groups().set_index("code")["name"]
    if code in table.index:
        return table[code]
    try:
        h = pycountry.historic_countries.get(alpha_3=code)
    except (KeyError, LookupError):
        h = None
    return h.name if h is not None else None
