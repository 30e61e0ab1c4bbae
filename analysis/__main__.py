"""``python -m analysis`` is the ``r2p`` command."""

from .cli import main

main()
