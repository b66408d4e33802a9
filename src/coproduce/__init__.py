"""coproduce: coproduced chronic care."""

__version__ = "0.1.0"
