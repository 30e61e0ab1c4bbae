"""The pipeline stages: one module per stage (``corpus``, ``compare``, ``topics``, ``novelty``,
``frames``, ``figures``). Their order and lookup live in :mod:`analysis.run.registry`."""
