"""The :class:`Profile` record (see :mod:`analysis.profiles`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from analysis.errors import UsageError
from analysis.resources import resource_path

__all__ = ["Profile"]


@dataclass(frozen=True)
class Profile:
    """The choices of one study (immutable).

    Attributes
    ----------
    name : str
        Short name used by :func:`get_profile` (``"r2p"``).
    title : str
        One line saying what the study is.
    default_corpus : str
        Corpus name or path used when none is given (``"sg-r2p"``).
    seed : int
        Seed of every random step of a run.
    anchor : str or None
        ``doc_id`` of the anchor document (its text is a packaged resource).
    frames_dictionary, stance_dictionary : str
        The framing and stance dictionaries: resource names (relative to ``corpus/``,
        e.g. ``"dictionaries/stance.yml"``) or absolute paths (a study's own files).
    kwic_patterns : tuple of str
        Glob patterns of the KWIC concordance (``*`` matches any ending).
    passage_patterns : tuple of str
        Glob patterns whose paragraphs (or windows) are the study's passages
        (:func:`analysis.reshape.corpus_passages`, ``--passages NAME``).
    comparisons : mapping
        The study's keyness comparisons by corpus name: ``{corpus name: (spec, ...)}``,
        specs in the syntax of :func:`analysis.textstats.keyness.parse_comparison`
        (``"anchor"``, ``"speaker=A vs B"``). They replace the generic defaults of
        :func:`analysis.textstats.similarity.default_comparisons` for a corpus of that
        name (:meth:`comparisons_for`); other corpora keep the generic ones.
    indices : mapping
        Frame indices: ``name -> ("balance", a, b)`` for (a - b) / (a + b), or
        ``name -> ("share", a, (keys...))`` for a / sum(keys); keys are frame
        names of the two dictionaries.
    """

    name: str
    title: str
    default_corpus: str
    seed: int
    anchor: str | None
    frames_dictionary: str
    stance_dictionary: str
    kwic_patterns: tuple[str, ...] = ()
    passage_patterns: tuple[str, ...] = ()
    comparisons: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    indices: Mapping[str, tuple] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwic_patterns", tuple(self.kwic_patterns))
        object.__setattr__(self, "passage_patterns", tuple(self.passage_patterns))
        if not isinstance(self.comparisons, Mapping):
            raise UsageError(f"profile {self.name!r}: comparisons must map corpus names to specs "
                             f"({{'corpus': ('anchor', 'speaker=A vs B')}}), not {self.comparisons!r}")
        comps = {}
        for corpus, specs in self.comparisons.items():
            specs = (specs,) if isinstance(specs, str) else tuple(specs)
            if not specs or not all(isinstance(c, str) and c.strip() for c in specs):
                raise UsageError(f"profile {self.name!r}: comparisons of {corpus!r} must be non-empty specs, "
                                 f"not {specs!r}")
            comps[str(corpus)] = specs
        object.__setattr__(self, "comparisons", MappingProxyType(comps))
        object.__setattr__(self, "indices", MappingProxyType(dict(self.indices)))
        for name, spec in self.indices.items():
            if not (isinstance(spec, tuple) and len(spec) == 3 and spec[0] in ("balance", "share")):
                raise UsageError(f"profile {self.name!r}: index {name!r} must be ('balance', a, b) or "
                                 f"('share', a, (keys, ...)), not {spec!r}")

    def comparisons_for(self, corpus_name: str) -> tuple[str, ...] | None:
        """The study's keyness comparisons for the corpus called ``corpus_name``, or None.

        None means the study says nothing about this corpus: the caller uses the generic
        defaults (:func:`analysis.textstats.similarity.default_comparisons`). The name is
        matched exactly (a combined corpus ``A+B`` is another corpus).
        """
        return self.comparisons.get(str(corpus_name))

    def resource(self, name: str) -> Path:
        """Path of one of the profile's resources (see :func:`analysis.resources.resource_path`)."""
        return resource_path(name)

    @property
    def frames_dictionary_path(self) -> Path:
        """The framing dictionary's file."""
        return _file(self.frames_dictionary)

    @property
    def stance_dictionary_path(self) -> Path:
        """The stance dictionary's file."""
        return _file(self.stance_dictionary)

    @property
    def anchor_path(self) -> Path | None:
        """The packaged text of the anchor document (``texts/<anchor>.txt``)."""
        return None if self.anchor is None else resource_path(f"texts/{self.anchor}.txt")


def _file(name) -> Path:
    """An absolute path as given; else a resource name (:func:`analysis.resources.resource_path`)."""
    p = Path(name)
    return p if p.is_absolute() else resource_path(str(name))
