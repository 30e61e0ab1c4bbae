"""Where the toolkit's resources and the user's fetched texts live: the one place that knows.

Resources are the files the code reads but never writes: the project corpus's
manifest (``manifest.csv``, ``manifest.schema.json``), its lock file and
bundled anchor text, the site settings of a fetch (``sources.yml``), the
framing dictionaries (``dictionaries/*.yml``) and the figure style
(``r2p.mplstyle``).

- In a clone (``analysis/`` beside ``corpus/`` and ``pyproject.toml``) they are
  read from ``corpus/``, the single copy in git; the project corpus is
  ``corpus/`` itself, and fetched texts go to ``corpus/texts/`` as they always did.
- Installed from a wheel they are package data (the wheel maps ``corpus/`` onto
  the data package ``analysis/_corpus``; see ``[tool.setuptools]`` in
  ``pyproject.toml``), read through :mod:`importlib.resources`. The project corpus
  is then a folder in the user data folder (``<data dir>/sg-r2p``), made on first
  use from the packaged manifest, lock and anchor text; fetched texts, raw
  downloads and the updated lock are kept there, so ``--corpus sg-r2p`` works
  from any folder.

The user data folder is, first match wins: :func:`set_data_dir` (the command
line's ``--data-dir``), the environment variable ``R2P_DATA_DIR``, and
:func:`platformdirs.user_data_dir` ``("r2p-analysis")`` (e.g.
``~/.local/share/r2p-analysis`` on Linux). An explicit data folder applies in a
clone too (its ``sg-r2p`` folder is then made from ``corpus/``).
``R2P_CORPUS_DIR`` names the project corpus folder itself and overrides all of
the above.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from importlib import resources as _ilr
from pathlib import Path

from analysis.errors import UsageError

__all__ = [
    "APP_NAME",
    "CORPUS_FOLDER_FILES",
    "ENV_CORPUS_DIR",
    "ENV_DATA_DIR",
    "corpus_folder",
    "data_dir",
    "dictionary_dir",
    "is_clone",
    "repo_root",
    "resource_path",
    "resource_root",
    "set_data_dir",
    "style_path",
]

APP_NAME = "r2p-analysis"
ENV_DATA_DIR = "R2P_DATA_DIR"
ENV_CORPUS_DIR = "R2P_CORPUS_DIR"
#: The data package that holds ``corpus/``'s resources in an installed wheel.
DATA_PACKAGE = "_corpus"
#: The packaged files copied into a data folder to make it a corpus folder (with
#: every packaged ``texts/*`` file: the bundled anchor).
CORPUS_FOLDER_FILES = ("manifest.csv", "manifest.schema.json", "corpus.lock", "README.md")
#: Records, in a data folder, the SHA-256 of each packaged file when it was copied.
STAMP_NAME = ".r2p-packaged.json"
PROJECT_CORPORA = ("sg-r2p", "sg_r2p", "r2p")

_data_dir_override: Path | None = None


def repo_root() -> Path | None:
    """The clone's root folder when the package runs from a clone, else ``None``."""
    root = Path(__file__).resolve().parent.parent
    if (root / "corpus" / "manifest.csv").is_file() and (root / "pyproject.toml").is_file():
        return root
    return None


def is_clone() -> bool:
    """Whether the package runs from a clone (resources in ``corpus/``) rather than an install."""
    return repo_root() is not None


def _package_dir(package: str) -> Path:
    root = _ilr.files(package)
    if not isinstance(root, Path):  # e.g. a zip import: pip never installs so
        raise UsageError(
            f"the resources of {package} are not on the file system ({root!r}); install the package "
            "with pip into a virtual environment")
    return root


def resource_root() -> Path:
    """The folder that holds the resources: the clone's ``corpus/`` or the installed data package."""
    root = repo_root()
    if root is not None:
        return root / "corpus"
    return _package_dir("analysis") / DATA_PACKAGE


def resource_path(name: str) -> Path:
    """The path of one resource, ``name`` relative to ``corpus/`` (e.g. ``"dictionaries/stance.yml"``).

    The path may not exist (a resource deleted from a clone); callers that read
    it say which file is missing.
    """
    p = Path(name)
    if p.is_absolute() or ".." in p.parts:
        raise UsageError(f"resource name {name!r} must be a path relative to corpus/, without '..'")
    return resource_root() / p


def dictionary_dir() -> Path:
    """The folder of the framing dictionaries (``corpus/dictionaries`` in a clone)."""
    return resource_path("dictionaries")


def style_path() -> Path:
    """The figure style file ``analysis/plots/r2p.mplstyle`` (package data of ``analysis.plots``)."""
    return _package_dir("analysis.plots") / "r2p.mplstyle"


# ---------------------------------------------------------------- the user data folder
def set_data_dir(path: str | os.PathLike | None) -> Path | None:
    """Use ``path`` as the user data folder from now on (``None``: back to the default).

    What the command line's ``--data-dir`` does. Returns the previous setting.
    """
    global _data_dir_override
    previous = _data_dir_override
    _data_dir_override = None if path is None else Path(path).expanduser()
    return previous


def _explicit_data_dir() -> Path | None:
    if _data_dir_override is not None:
        return _data_dir_override
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    return Path(env).expanduser() if env else None


def data_dir() -> Path:
    """The user data folder: ``--data-dir``, else ``R2P_DATA_DIR``, else the platform's user data folder."""
    explicit = _explicit_data_dir()
    if explicit is not None:
        return explicit
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def corpus_folder(name: str = "sg-r2p") -> Path:
    """The folder of the project corpus ``name``: where its manifest is read and its texts are fetched to.

    ``R2P_CORPUS_DIR`` if set; else, in a clone without an explicit data folder,
    the clone's ``corpus/``; else ``<data dir>/sg-r2p``, made (or brought up to
    date) from the packaged resources.

    Raises
    ------
    UsageError
        For an unknown corpus name, or a data folder that cannot be written.
    """
    if name not in PROJECT_CORPORA:
        raise UsageError(f"no packaged corpus named {name!r}; the project corpus is 'sg-r2p'")
    env = os.environ.get(ENV_CORPUS_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    root = repo_root()
    if root is not None and _explicit_data_dir() is None:
        return root / "corpus"
    return materialize_corpus(data_dir() / "sg-r2p")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _packaged_files(src: Path) -> list[str]:
    names = [n for n in CORPUS_FOLDER_FILES if (src / n).is_file()]
    texts = src / "texts"
    if texts.is_dir():
        names += sorted(f"texts/{p.name}" for p in texts.iterdir() if p.is_file() and p.suffix == ".txt")
    return names


def materialize_corpus(folder: str | os.PathLike, source: str | os.PathLike | None = None) -> Path:
    """Make ``folder`` a corpus folder from the packaged resources; return it.

    Copies the manifest, its schema, the lock file, the README and the bundled
    texts (the anchor) that are missing. A file the package brings in a new
    version replaces the local copy only when that copy is unchanged since it
    was copied (a SHA-256 stamp records what was copied); a copy changed here
    (the manifest's sha256 cells and the lock grow as texts are fetched) is
    kept, with a warning naming the file. Fetched texts are never touched.

    Parameters
    ----------
    folder : path
        The corpus folder to make (created if absent).
    source : path, optional
        The folder of resources to copy from (default :func:`resource_root`).

    Raises
    ------
    UsageError
        When the folder cannot be created or written (names it and the fix).
    """
    folder = Path(folder)
    src = Path(source) if source is not None else resource_root()
    names = _packaged_files(src)
    if "manifest.csv" not in names:
        raise UsageError(f"{src}: the packaged corpus resources are missing (no manifest.csv); "
                         "reinstall the package (pip install --force-reinstall r2p-analysis)")
    stamp_path = folder / STAMP_NAME
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8")) if stamp_path.is_file() else {}
    except (OSError, ValueError):
        stamp = {}
    changed = False
    try:
        for rel in names:
            data = (src / rel).read_bytes()
            sha = _sha(data)
            dest = folder / rel
            if stamp.get(rel) == sha and dest.is_file():
                continue
            if not dest.exists():
                _write(dest, data)
            else:
                local = _sha(dest.read_bytes())
                if local != sha and local == stamp.get(rel):  # an untouched copy of an older version
                    _write(dest, data)
                elif local != sha:
                    warnings.warn(
                        f"{dest} differs from the {rel} of this package version and was changed here "
                        f"(e.g. by r2p corpus fetch); kept it. To take the packaged one, move it away "
                        f"(fetched texts stay) and run the command again.", UserWarning, stacklevel=2)
                    continue
            stamp[rel] = sha
            changed = True
        if changed:
            _write(stamp_path, json.dumps(stamp, indent=1, sort_keys=True).encode("utf-8"))
    except OSError as exc:
        raise UsageError(
            f"cannot write the corpus data folder {folder} ({exc.strerror or exc}); choose a writable "
            f"folder with --data-dir or the environment variable {ENV_DATA_DIR}") from None
    return folder
