"""The package version (one place; pyproject.toml and CITATION.cff are checked against it)."""

__version__ = "0.1.0"
