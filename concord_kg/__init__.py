"""concord-kg: a knowledge graph of care coordination for rare conditions (CONCORD)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("concord-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
