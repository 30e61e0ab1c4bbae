"""The ``r2p`` command line (typer): ``main`` is the console entry point."""

from analysis.cli.main import app, main

__all__ = ["app", "main"]
