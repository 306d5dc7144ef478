"""The project's authored data: a wheel installs ``ontology/``, ``shapes/`` and ``queries/`` here.

In a source tree the folders stay at the repository's top level (see :mod:`concord_kg.resources`).
"""
