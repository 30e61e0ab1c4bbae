"""The small public API the notebooks use: run stages, read tables, show figures.

>>> from analysis.notebook import Run
>>> run = Run("sotu", out="out/sotu")          # nothing computed yet
>>> run.stages("compare")                      # cached by inputs and settings, as `r2p run --only compare`
>>> run.tables["similarity_to_anchor"].head()
>>> run.show(plot_similarity_to_anchor, "similarity_to_anchor", anchor=run.anchor)
>>> run.show(plot_similarity_to_anchor, "similarity_to_anchor", anchor=run.anchor,
...          save_as="fig1_similarity", preset="double", save_dir="paper")   # PDF/PNG/SVG + CSV + JSON

A table that no stage has written reads as an empty frame with a printed note,
so a notebook on a corpus without (say) a topic model still runs to the end.
The anchor is the run's one anchor (``--anchor``, recorded in ``run.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.profiles import DEFAULT_SEED
from analysis.run.runner import run_pipeline
from analysis.run.tables import read_table, table_path

__all__ = ["Run", "Tables", "show"]


class Tables(Mapping):
    """A run's tables by name: this session's, else those in ``OUT/tables``; missing ones are empty frames."""

    def __init__(self, out: Path, live: Mapping[str, pd.DataFrame] | None = None, quiet: bool = False):
        self.out = Path(out)
        self.live = dict(live or {})
        self.quiet = quiet

    def _path(self, name: str) -> Path | None:
        return table_path(self.out / "tables", name)  # Parquet or CSV (run.table_format)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self.live:
            return self.live[name]
        path = self._path(name)
        if path is not None:
            self.live[name] = read_table(path)
            return self.live[name]
        if not self.quiet:
            print(f"(no table {name!r} in {self.out / 'tables'}: its stage has not run; see run.messages)")
        return pd.DataFrame()

    def __contains__(self, name) -> bool:
        return name in self.live or self._path(str(name)) is not None

    def __iter__(self):
        tdir = self.out / "tables"
        names = set(self.live) | ({p.stem for p in (*tdir.glob("*.csv"), *tdir.glob("*.parquet"))}
                                  if tdir.is_dir() else set())
        return iter(sorted(names))

    def __len__(self) -> int:
        return len(list(iter(self)))


def show(plot: Callable, *args, display: bool = True, save_as: str | None = None,
         preset: str | None = None, save_dir: str | Path = "figures/paper",
         formats: Sequence[str] | None = None, meta: Mapping[str, Any] | None = None, **kwargs):
    """Draw a ``plot_*`` function's figure in the notebook, or say why it cannot be drawn.

    With ``save_as`` the figure shown is also saved for a paper, in one call:
    ``<save_dir>/<save_as>.pdf``/``.png``/``.svg``, the CSV of exactly the data
    plotted and a JSON sidecar (parameters, preset, package version), written by
    :func:`analysis.plots.save.save_figure` (the same deterministic bytes as
    ``r2p run``).

    Parameters
    ----------
    plot : callable
        A ``plot_*`` function returning ``(fig, data)``.
    *args, **kwargs
        Passed to ``plot``.
    display : bool
        Show the figure in the notebook.
    save_as : str, optional
        File stem to save the figure under (letters, digits, ``_``, ``-``, ``.``).
    preset : str, optional
        A journal preset of :data:`analysis.plots.presets.PRESETS` (``"single"``,
        ``"double"``, ``"single-large"``, ``"double-large"``, ``"slide"``): the figure
        is drawn with the preset's font sizes and sized to its width. Default: the
        package style as drawn (``"single"`` sizes for most figures).
    save_dir : path
        Folder for the saved files (created if needed).
    formats : sequence of str, optional
        Image formats (subset of ``pdf``, ``png``, ``svg``); default the preset's (all three).
    meta : mapping, optional
        Extra sidecar fields (corpus, seed, source table...).

    Returns
    -------
    DataFrame or None
        The plotted data (None when the figure could not be drawn). When saved,
        ``data.attrs["figure_files"]`` maps each format to the path written.
    """
    import contextlib

    from analysis.plots.save import style_context

    ctx = contextlib.nullcontext()
    p = None
    if preset is not None:
        from analysis.plots.presets import get_preset, preset_context

        p = get_preset(preset)
        ctx = preset_context(p)
    try:
        with style_context(), ctx:
            fig, data = plot(*args, **kwargs)
    except (ValueError, KeyError, TypeError) as e:
        print(f"{getattr(plot, '__name__', plot)}: not drawn ({e})")
        return None
    if p is not None:
        fig.set_size_inches(*p.size_for(fig.get_size_inches()))
    if save_as is not None:
        from analysis.plots.save import save_figure

        sidecar = {"plot": getattr(plot, "__name__", str(plot)),
                   "plot_kwargs": {k: v for k, v in kwargs.items() if isinstance(v, (str, int, float, bool))}}
        if p is not None:
            sidecar["preset"] = p.describe()
        sidecar.update(dict(meta or {}))
        fmts = tuple(formats) if formats is not None else (p.formats if p is not None else
                                                            ("pdf", "png", "svg"))
        with (preset_context(p) if p is not None else style_context()):
            paths = save_figure(fig, data, save_as, save_dir, meta=sidecar, formats=fmts)
        data.attrs["figure_files"] = {k: str(v) for k, v in paths.items()}
        print(f"saved {save_as}." + "/".join(sorted(paths)) + f" in {Path(save_dir)}")
    if display:
        try:
            from IPython.display import display as _display

            _display(fig)
        except ImportError:  # pragma: no cover - outside IPython
            pass
    import matplotlib.pyplot as plt

    plt.close(fig)
    return data


class Run:
    """A run folder and the settings to (re)run its stages with.

    Parameters
    ----------
    corpus : str or Corpus
        As for ``r2p run --corpus``;
        ``"sg-r2p+ungdc"`` combines corpora (:func:`analysis.reshape.load_corpora`).
    out : path
        The run folder (``tables/``, ``figures/``, ``run.json``).
    seed, anchor, overrides, cache_dir
        As for :func:`analysis.run.run_pipeline` (``overrides`` is ``{group: {key: value}}``,
        the same declared settings as ``--set``).
    where, passages, passage_unit, passage_window
        As ``r2p run --where/--passages/--passage-unit/--passage-window``
        (:func:`analysis.reshape.load_reshaped`); the corpus is reshaped once, at the first run.
    """

    def __init__(self, corpus, out: str | Path = "out", seed: int = DEFAULT_SEED, anchor: str | None = None,
                 overrides: Mapping[str, Mapping[str, Any]] | None = None, cache_dir: str | Path | None = None,
                 where: str | None = None, passages: str | None = None, passage_unit: str = "paragraph",
                 passage_window: int = 30):
        self._corpus = corpus
        self.where, self.passages = where, passages
        self.passage_unit, self.passage_window = passage_unit, passage_window
        self.out = Path(out)
        self.seed = seed
        self._anchor = anchor
        self.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        self.cache_dir = cache_dir
        self.context = None

    def stages(self, *names: str):
        """Run these stages (the corpus stage always runs); results are cached. Returns ``self``."""
        if isinstance(self._corpus, str) and (self.where or self.passages or "+" in self._corpus):
            from analysis.corpus import load_corpus
            from analysis.reshape import load_reshaped

            self._corpus = load_reshaped(self._corpus, load_corpus, where=self.where, passages=self.passages,
                                         passage_unit=self.passage_unit, passage_window=self.passage_window)
            self.where = self.passages = None  # applied once
        elif not isinstance(self._corpus, str) and (self.where or self.passages):
            from analysis.reshape import corpus_passages, corpus_subset

            if self.where:
                self._corpus = corpus_subset(self._corpus, self.where)
            if self.passages:
                self._corpus = corpus_passages(self._corpus, self.passages, unit=self.passage_unit,
                                               window=self.passage_window)
            self.where = self.passages = None  # applied once
        self.context = run_pipeline(self._corpus, self.out, seed=self.seed, overrides=self.overrides,
                                    only=list(names) or None, anchor=self._anchor, cache_dir=self.cache_dir,
                                    verbose=False, progress=False)
        for e in self.context.errors:
            print(f"stage {e['stage']} failed: {e['error']}")
        return self

    @property
    def tables(self) -> Tables:
        return Tables(self.out, self.context.tables if self.context is not None else None)

    @property
    def anchor(self) -> str | None:
        """The run's anchor (resolved by the runner; None before any stage ran)."""
        if self.context is not None:
            return self.context.anchor
        import json

        rec = self.out / "run.json"
        if rec.exists():
            return (json.loads(rec.read_text(encoding="utf-8")).get("facts", {}).get("anchor") or {}).get("doc_id")
        return self._anchor

    @property
    def study(self):
        """The study the run applies (:class:`analysis.profiles.Profile`: its dictionaries, anchor,
        comparisons), as the runner resolved it; the study profile before any stage ran."""
        if self.context is not None:
            return self.context.study
        from analysis.profiles import get_profile

        return get_profile()

    @property
    def corpus(self):
        """The available documents of the last run (a Corpus), or the corpus given."""
        return self.context.corpus if self.context is not None else self._corpus

    @property
    def units(self) -> pd.DataFrame:
        return self.context.units if self.context is not None else self.tables["units"]

    @property
    def messages(self) -> list[str]:
        return list(self.context.messages) if self.context is not None else []

    def show(self, plot: Callable, table: str | pd.DataFrame, *args, **kwargs):
        """``show(plot, self.tables[table], ...)``: draw a figure from one of the run's tables.

        Takes :func:`show`'s ``save_as``/``preset``/``save_dir``/``formats``; a saved
        figure's sidecar also records the run folder, seed, source table and the
        corpus name and hash from ``run.json``.
        """
        data = self.tables[table] if isinstance(table, str) else table
        if kwargs.get("save_as") is not None:
            meta: dict[str, Any] = {"run": str(self.out), "seed": self.seed}
            rec = self.out / "run.json"
            if self.context is not None:
                meta.update(self.context.figure_meta())
            elif rec.exists():
                import json

                corpus = json.loads(rec.read_text(encoding="utf-8")).get("corpus") or {}
                meta.update({"corpus": corpus.get("name"), "corpus_hash": corpus.get("hash"),
                             "anchor": corpus.get("anchor")})
            if isinstance(table, str):
                meta["source_table"] = table
            meta.update(dict(kwargs.pop("meta", None) or {}))
            kwargs["meta"] = meta
        return show(plot, data, *args, **kwargs)
