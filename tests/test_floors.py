"""The dependency floors: environment.yml and pyproject.toml give the same version bounds, and
``.ci/floors`` (which installs every direct dependency at its floor and runs a test subset) parses
and derives its pins from pyproject.toml.

tests/test_packaging.py checks that both files name the same packages; this checks the bounds.
"""

import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from .conftest import ROOT

FLOORS = ROOT / ".ci" / "floors"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _split(req: str) -> tuple[str, str]:
    """``(normalised name, bounds)`` of one requirement, bounds sorted and without spaces."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*?)\s*(?:;.*)?", req)
    assert m, f"cannot parse the requirement {req!r}"
    clauses = sorted(c.replace(" ", "") for c in m.group(2).split(",") if c.strip())
    return _norm(m.group(1)), ",".join(clauses)


def _pyproject() -> dict[str, set[str]]:
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out: dict[str, set[str]] = {}
    for req in py["dependencies"] + [r for extra in py["optional-dependencies"].values() for r in extra]:
        name, bounds = _split(req)
        out.setdefault(name, set()).add(bounds)
    return out


def _environment() -> dict[str, set[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, set[str]] = {}
    for dep in env["dependencies"]:
        for req in dep["pip"] if isinstance(dep, dict) else [dep]:
            name, bounds = _split(req)
            out.setdefault(name, set()).add(bounds)
    out.pop("python", None)
    out.pop("pip", None)
    return out


def test_environment_and_pyproject_give_the_same_bounds():
    py, env = _pyproject(), _environment()
    for name, bounds in py.items():
        assert len(bounds) == 1, f"pyproject.toml gives {name} different bounds in different places: {bounds}"
    differ = {n: (py[n], env[n]) for n in py.keys() & env.keys() if py[n] != env[n]}
    assert not differ, f"bounds differ (pyproject.toml, environment.yml): {differ}"


def test_every_dependency_has_a_floor():
    missing = [n for n, b in _pyproject().items() if not re.search(r"(>=|==)", next(iter(b)))]
    assert not missing, f"no floor (>= or ==) for {missing}: .ci/floors cannot test them"


def test_floors_script_parses():
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    r = subprocess.run([bash, "-n", str(FLOORS)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def _pin_program() -> str:
    """The Python program that .ci/floors runs to derive its pins (the first heredoc)."""
    text = FLOORS.read_text()
    m = re.search(r"<<'EOF'\n(.*?)\nEOF\n", text, flags=re.DOTALL)
    assert m, ".ci/floors has no <<'EOF' ... EOF program"
    return m.group(1)


def _pins(pyproject_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-", str(pyproject_path)], input=_pin_program(),
                          capture_output=True, text=True, check=False)


def test_floors_pins_every_dependency_at_its_floor():
    r = _pins(ROOT / "pyproject.toml")
    assert r.returncode == 0, r.stderr
    pins = dict(_split(line) for line in r.stdout.splitlines())
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in py["dependencies"]:
        name, bounds = _split(req)
        # the floor, read independently: the version of the >= or == clause
        floor = re.search(r"(?:>=|==)([^,]+)", bounds).group(1)
        assert pins[name] == f"=={floor}", (name, pins[name], bounds)
    assert "pytest" in pins  # the test runner comes from the test extra, at its floor too


def test_floors_refuses_a_dependency_without_a_floor(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text('[project]\ndependencies = ["numpy>=1.26", "pandas"]\n'
                 '[project.optional-dependencies]\ntest = ["pytest>=8"]\n')
    r = _pins(p)
    assert r.returncode != 0 and "pandas" in r.stderr
