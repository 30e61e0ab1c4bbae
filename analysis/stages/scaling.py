"""Stage ``scaling``: Wordfish or Wordscores positions of documents, years, speakers or sources.

Tables: ``scaling`` (unit, theta, se, ci_low, ci_high, model, n_docs) and
``scaling_words`` (term, beta, psi for Wordfish; term, score for Wordscores,
written as beta with psi empty). The method modules are
:mod:`analysis.scaling.wordfish` and :mod:`analysis.scaling.wordscores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.errors import UsageError
from analysis.run.catalog import CI_HIGH, CI_LOW, Column, Table, empty_table
from analysis.scaling.wordfish import stat_wordfish
from analysis.scaling.wordscores import stat_wordscores
from analysis.settings import StageSettings, setting

NAME = "scaling"
VERSION = "1"
TABLES = (
    Table("scaling", "one row per scaled unit (document, year, speaker or source: `scaling.by`)", (
        Column("unit", "str", "The unit scaled: a doc_id, or the value of `scaling.by`."),
        Column("theta", "float", "Estimated position (Wordfish theta; Wordscores score, rescaled by "
               "`scaling.rescaling`)."),
        Column("se", "float", "Standard error of theta (`scaling.se`).", nullable=True),
        CI_LOW.but(description="Lower end of the interval of theta (`scaling.ci`)."),
        CI_HIGH.but(description="Upper end of the interval of theta."),
        Column("model", "str", "`wordfish` or `wordscores`."),
        Column("n_docs", "int", "Documents summed into the unit."),
        Column("reference_score", "float", "Wordscores: the unit's given reference score (NaN for virgin units).",
               optional=True, nullable=True),
        Column("alpha", "float", "Wordfish: the unit's fixed effect (document length).", optional=True),
    ), "Positions of documents (or years, speakers, sources) by Wordfish (Slapin & Proksch 2008) or "
       "Wordscores (Laver, Benoit & Garry 2003); empty with fewer than three documents."),
    Table("scaling_words", "one row per term", (
        Column("term", "str", "The term."),
        Column("beta", "float", "Wordfish word weight (discrimination); the Wordscores word score."),
        Column("psi", "float", "Wordfish word fixed effect (frequency); empty for Wordscores.", nullable=True),
    ), "The word parameters of the scaling model (empty for Wordscores, whose word scores are not written)."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()
#: the columns of ``scaling`` every model writes, and of ``scaling_words`` (from the declarations)
SCALING_COLUMNS = [c.name for c in TABLES[0].columns if not c.optional]
WORDS_COLUMNS = [c.name for c in TABLES[1].columns]


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``scaling`` stage (``--set scaling.KEY=VALUE``)."""

    group: ClassVar[str] = "scaling"

    model: str = setting("wordfish", "Scaling model.", choices=("wordfish", "wordscores"))
    by: str = setting("doc_id", "Unit of scaling: documents summed by this docvar.",
                      choices=("doc_id", "year", "speaker", "source"))
    direction: str | None = setting(None, "Wordfish sign: `LEFT,RIGHT` units (LEFT gets the lower "
                                    "position) or a numeric docvar name (e.g. year).")
    reference: str | None = setting(None, "Wordscores reference units and positions, `unit=score, unit=score`.")
    rescaling: str = setting("lbg", "Wordscores rescaling.", choices=("none", "lbg", "mv"))
    se: str = setting("hessian", "Wordfish standard errors.", choices=("hessian", "bootstrap"))
    n_boot: int = setting(100, "Wordfish parametric bootstrap replicates (se=bootstrap).", ge=1)
    min_df: int = setting(2, "Drop terms in fewer than this many paragraphs.", ge=1)
    ci: float = setting(0.95, "Coverage of the intervals.", gt=0, lt=1)


def parse_reference(spec: str) -> dict[str, float]:
    """``"a=-1, b=1"`` -> ``{"a": -1.0, "b": 1.0}``."""
    out = {}
    for part in [p.strip() for p in str(spec).split(",") if p.strip()]:
        if "=" not in part:
            raise UsageError(f"scaling.reference: {part!r} is not unit=score (e.g. 'Obama=-1, Trump=1')")
        k, v = part.rsplit("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise UsageError(f"scaling.reference: score {v!r} of {k.strip()!r} is not a number") from None
    return out


def run(ctx, cfg: Settings) -> None:
    dtm = ctx.dtm("document", min_df=cfg.min_df)
    if dtm is None or dtm.shape[0] < 3:
        ctx.log("scaling: fewer than three documents; tables are empty")
        ctx.write_table("scaling", empty_table("scaling", optional=False))
        ctx.write_table("scaling_words", empty_table("scaling_words"))
        return
    dtm = type(dtm)(dtm.matrix, dtm.terms, dtm.docvars.copy(), dict(dtm.params))  # the shared matrix stays as is
    if cfg.by != "doc_id":
        if cfg.by not in dtm.docvars.columns:
            raise UsageError(f"scaling.by={cfg.by}: the corpus has no {cfg.by!r} docvar "
                             f"(it has {', '.join(map(str, dtm.docvars.columns))})")
        dv = dtm.docvars.copy()
        dv[cfg.by] = dv[cfg.by].astype(str)
        dtm = type(dtm)(dtm.matrix, dtm.terms, dv, dict(dtm.params)).group(cfg.by)
        dvar = cfg.direction if cfg.direction and "," not in cfg.direction else None
        if dvar and dvar in dv.columns and dvar != cfg.by:  # a docvar direction: its mean per unit
            means = pd.to_numeric(dv[dvar], errors="coerce").groupby(dv[cfg.by]).mean()
            dtm.docvars[dvar] = dtm.docvars[cfg.by].map(means).to_numpy()
    else:
        dtm.docvars["n_docs"] = 1
    dtm.docvars["unit"] = dtm.docvars[cfg.by].astype(str)
    if cfg.model == "wordfish":
        dir_pair, dvar = None, None
        if cfg.direction:
            if "," in cfg.direction:
                dir_pair = tuple(s.strip() for s in cfg.direction.split(",", 1))
            else:
                dvar = cfg.direction
        pos, words, conv = ctx.call(stat_wordfish, dtm, id_col="unit", dir=dir_pair, direction=dvar,
                                    se=cfg.se, n_boot=cfg.n_boot, level=cfg.ci, random_state=ctx.seed)
        ctx.facts.setdefault("scaling", {})["convergence"] = conv
        if not conv.get("converged", True):
            ctx.log(f"scaling: Wordfish did not converge: {conv.get('message')}")
    else:
        if not cfg.reference:
            raise UsageError("scaling.model=wordscores needs scaling.reference='unit=score, unit=score'")
        pos = ctx.call(stat_wordscores, dtm, parse_reference(cfg.reference), id_col="unit",
                       rescaling=cfg.rescaling, level=cfg.ci)
        words = empty_table("scaling_words")
    pos = pos.assign(n_docs=dtm.docvars["n_docs"].to_numpy())
    ctx.write_table("scaling", pos[SCALING_COLUMNS + [c for c in ("reference_score", "alpha") if c in pos]])
    ctx.write_table("scaling_words", words.reindex(columns=WORDS_COLUMNS))
