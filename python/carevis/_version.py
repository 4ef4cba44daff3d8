"""The package version (one place; `carevis.__version__` re-exports it)."""

__version__ = "0.1.0"
