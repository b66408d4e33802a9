"""Starting a coproduce process with and without Python's bytecode cache.

Each test worker and each `coproduce` command a test starts imports Django, the project and
its URLconf. Where PYTHONDONTWRITEBYTECODE is set (some containers do), nothing is cached and
every process compiles all of it again; the Makefile unexports it. Each run starts a fresh
`python` with its own empty cache folder (PYTHONPYCACHEPREFIX): "compiled every time" with
writing off, then "cached" after one filling run. Wall and CPU time of the whole process,
best of --runs. The baseline is the cached start, measured in the same run.

    .venv/bin/python bench/bench_startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

START = (
    "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'coproduce.settings');"
    "django.setup(); from django.urls import resolve; resolve('/')"
)


def one(prefix: str, *, write: bool) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPRODUCE_")}
    env |= {"COPRODUCE_MODE": "test", "PYTHONPYCACHEPREFIX": prefix}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run([sys.executable, "-c", START], env=env, check=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as cold, tempfile.TemporaryDirectory() as warm:
        compiled = [one(cold, write=False) for _ in range(runs)]
        one(warm, write=True)  # fills the cache
        cached = [one(warm, write=True) for _ in range(runs)]
    best_c, best_w = min(compiled), min(cached)
    print(f"process start, best of {runs}:")
    print(f"  cached (baseline)      {best_w[0]:5.2f} s wall  {best_w[1]:5.2f} s CPU")
    print(f"  compiled every time    {best_c[0]:5.2f} s wall  {best_c[1]:5.2f} s CPU")
    wall, cpu = best_c[0] / best_w[0], best_c[1] / best_w[1]
    print(f"  ratio                  {wall:5.2f}x wall  {cpu:5.2f}x CPU")


if __name__ == "__main__":
    main()
