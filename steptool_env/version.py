"""The package version (its own module, so every layer may import it)."""

__version__ = "0.1.0"
