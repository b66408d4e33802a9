"""Make the project's virtual environment quickly, and install into it (used by the Makefile).

    python tools/make_venv.py create VENV         a venv with uv (and pip) in it
    python tools/make_venv.py install VENV ARGS   `pip install ARGS` into VENV, by uv where it can

Why not `python -m venv` and pip alone: on a fresh machine those were most of the time to the
demo's first page (issue 14, bench/RESULTS.md). `python -m venv` runs ensurepip, which installs
pip (and, on Python 3.11, setuptools) and compiles all their files: about 5 s. pip then takes
about 12 s to resolve and unpack the ~45 packages. Instead the venv is made without pip, the
the pip at hand installs uv (the pip of the Python running this script, or else the pip wheel
that ships inside Python for ensurepip, run from the wheel; a uv already on PATH is used as
it is), and uv installs the project in about 5 s. uv is only the installer: nothing in
coproduce imports it. The venv has no pip of its own then: `python tools/make_venv.py install
.venv PACKAGE` (or `.venv/bin/uv pip install PACKAGE`) adds a package.

Everything falls back to the standard way when a step cannot be done here (no bundled pip
wheel, uv not installable or failing): ensurepip, then pip, exactly as before. The package
index is the one pip is configured with: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS
and PIP_CERT are passed on to uv as UV_INDEX_URL, UV_EXTRA_INDEX_URL, UV_FIND_LINKS and
SSL_CERT_FILE. Set COPRODUCE_INSTALLER=pip to use pip only.

Standard library only: this runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

QUIET = ["--quiet", "--disable-pip-version-check", "--no-compile"]
PIP_TO_UV = {
    "PIP_INDEX_URL": "UV_INDEX_URL",
    "PIP_EXTRA_INDEX_URL": "UV_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS": "UV_FIND_LINKS",
    "PIP_CERT": "SSL_CERT_FILE",
}


def _bin(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def _python(env: Path) -> Path:
    return _bin(env) / ("python.exe" if os.name == "nt" else "python")


def _uv(env: Path) -> Path:
    return _bin(env) / ("uv.exe" if os.name == "nt" else "uv")


def _say(text: str) -> None:
    print(f"tools/make_venv.py: {text}", file=sys.stderr)


def bundled_pip_wheel() -> Path | None:
    """The pip wheel this Python carries for ensurepip (Debian keeps it in python-wheels)."""
    try:
        import ensurepip
    except ImportError:
        return None
    places = [Path(ensurepip.__file__).parent / "_bundled"]
    shared = getattr(ensurepip, "_WHEEL_PKG_DIR", None)
    if shared:
        places.append(Path(shared))
    for place in places:
        wheels = sorted(place.glob("pip-*.whl")) if place.is_dir() else []
        if wheels:
            return wheels[-1]
    return None


def _run(command: list[str | Path], env: dict[str, str] | None = None, quiet: bool = False) -> bool:
    """Run one of our own install commands (no shell, no outside input); True if it worked."""
    done = subprocess.run(  # noqa: S603
        [str(c) for c in command], env=env, check=False, capture_output=quiet
    )
    return done.returncode == 0


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    for pip_name, uv_name in PIP_TO_UV.items():
        if env.get(pip_name) and not env.get(uv_name):
            env[uv_name] = env[pip_name]
    return env


def _with_pip(env: Path) -> bool:
    """Give the venv pip the standard way (the fallback)."""
    if _run([_python(env), "-m", "pip", "--version"], quiet=True):
        return True
    return _run([_python(env), "-m", "ensurepip", "--default-pip"])


def _pip_that_can_target(python: str) -> bool:
    """True when `python -m pip` exists and can install into another environment (pip 22.3+)."""
    probe = "import pip, sys; sys.exit(tuple(map(int, pip.__version__.split('.')[:2])) < (22, 3))"
    return _run([python, "-c", probe], quiet=True)


def _get_uv(env: Path) -> bool:
    """Put uv into the venv by the quickest pip at hand; False when none could."""
    target = ["install", *QUIET, "uv"]
    if _pip_that_can_target(sys.executable):
        # The pip of the Python that runs this script, its bytecode already compiled.
        command = [sys.executable, "-m", "pip", "--python", _python(env), *target]
        if _run(command):
            return True
    wheel = bundled_pip_wheel()
    if wheel is None:
        _say("no pip to fetch uv with; using ensurepip and pip")
        return False
    # pip straight from the wheel Python carries for ensurepip, as ensurepip runs it.
    return _run([_python(env), "-m", "pip", *target], env=dict(os.environ, PYTHONPATH=str(wheel)))


def uv_for(env: Path) -> str | None:
    """The uv to install with: the venv's own, or one on PATH; None means pip."""
    if os.environ.get("COPRODUCE_INSTALLER") == "pip":
        return None
    if _uv(env).exists():
        return str(_uv(env))
    return shutil.which("uv")


def create(env: Path) -> int:
    if not _python(env).exists():
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env)
    wants_uv = os.environ.get("COPRODUCE_INSTALLER") != "pip"
    if wants_uv and uv_for(env) is None and not _get_uv(env):
        _say("could not install uv; using pip")
    if uv_for(env) is not None:
        return 0
    if not _with_pip(env):
        _say(f"could not give {env} a pip")
        return 1
    # The pip that comes with Python 3.11 is about twice as slow on a large index.
    _run([_python(env), "-m", "pip", "install", *QUIET, "--upgrade", "pip"])
    return 0


def install(env: Path, args: list[str]) -> int:
    uv = uv_for(env)
    if uv is not None:
        if _run([uv, "pip", "install", "--quiet", "--python", _python(env), *args], env=_uv_env()):
            return 0
        _say("uv could not install; trying pip")
    if not _with_pip(env):
        _say(f"{env} has no pip and uv failed")
        return 1
    return 0 if _run([_python(env), "-m", "pip", "install", *QUIET, *args]) else 1


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("create", "install"):
        print(__doc__, file=sys.stderr)
        return 2
    env = Path(argv[1])
    return create(env) if argv[0] == "create" else install(env, argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
