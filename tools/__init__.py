"""The scripts behind the `make` targets, a package: run one with ``python -m tools.NAME``
from the top of the repository (the Makefile does), import one as ``from tools import NAME``."""

__all__: list[str] = []
