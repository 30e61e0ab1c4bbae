"""``python -m analysis`` is the ``r2p`` command."""

from analysis.cli.main import main

main()
