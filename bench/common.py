"""What every benchmark prints the same way: percentiles and the machine it ran on.

Imports nothing of Django, so any benchmark (set up or not) can use it:
`python bench/bench_x.py` puts bench/ on the import path.
"""

from __future__ import annotations

import os
import platform


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0 < q < 1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    """The 1-minute load average: on a shared machine other work skews every figure."""
    return f"load average {os.getloadavg()[0]:.2f}"


def machine() -> str:
    """Host, CPUs, architecture, Python and (when installed) Django, and the load now."""
    try:
        import django

        django_version = f", Django {django.get_version()}"
    except ImportError:  # pragma: no cover - every bench venv has Django
        django_version = ""
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}{django_version}; {load()}"
    )
