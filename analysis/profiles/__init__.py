"""Study profiles: what makes the toolkit the R2P study rather than a generic one.

The method wings are generic (any dated speech corpus). A :class:`Profile`
gathers the choices of one study in one place: its default corpus, the run
seed, the anchor document, the framing and stance dictionaries, the KWIC
patterns, the default keyness comparisons and the frame indices. The R2P study
is :data:`analysis.profiles.r2p.R2P`; :func:`get_profile` looks profiles up by name.
"""

from __future__ import annotations

from analysis.errors import UsageError, closest
from analysis.profiles.base import Profile
from analysis.profiles.r2p import R2P

__all__ = ["DEFAULT_PROFILE", "DEFAULT_SEED", "PROFILES", "R2P", "Profile", "get_profile"]

#: The known profiles by name.
PROFILES: dict[str, Profile] = {R2P.name: R2P}
#: The study a run applies unless told otherwise.
DEFAULT_PROFILE = R2P.name
#: The seed of every random step when none is given (the R2P study's: the anchor's date, 20170906);
#: the one place the command line, the notebook helper and the runner take their default from.
DEFAULT_SEED: int = R2P.seed


def get_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """The profile called ``name`` (``"r2p"``: the R2P study).

    Raises
    ------
    UsageError
        For an unknown name (listing the known ones).
    """
    if name not in PROFILES:
        hint = closest(name, PROFILES)
        raise UsageError(f"no profile named {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                         + f"; known: {', '.join(sorted(PROFILES))}")
    return PROFILES[name]
