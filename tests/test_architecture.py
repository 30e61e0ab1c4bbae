"""The package's layers hold: no import cycle, and no layer imports one above it.

Every import is parsed, function-level ones and those under ``if TYPE_CHECKING:``
included (``ast``, not importlib, so neither a lazy import nor a type-only one can
hide a cycle: a module that needs another's types for its annotations depends on it). CONTRIBUTING.md draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "analysis"

#: layer of each top-level module or subpackage (lower numbers are lower layers)
LAYERS = {
    "errors": 0, "settings": 0, "_compat": 0, "_version": 0,
    "tokens": 1, "text": 1, "layout": 1, "units": 1, "dtm": 1, "corpus": 1, "manifest": 1, "resources": 1,
    "profiles": 1, "annotations": 1, "loaders": 1, "reshape": 1, "patterns": 1,
    "stats": 2, "acquire": 2, "textstats": 2, "topicmod": 2, "framing": 2, "plots": 2, "scaling": 2,
    "semantic": 2, "export": 2, "report": 2,
    "run": 3,
    "stages": 4,
    "cli": 5, "notebooks": 5, "notebook": 5, "__main__": 5,
}
MAX_LINES = 700  # "no module over about 600 lines that mixes concerns" (docstrings included)


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("analysis"):
                    found.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("analysis"):
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                found.add(sub if sub in modules else mod)
    return {m for m in found if m in modules and m != name}


def _graph():
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else -1


def test_every_module_has_a_layer():
    unknown = sorted({m.split(".")[1] for m in _graph() if "." in m and _layer(m) is None})
    assert unknown == [], f"add these to LAYERS (and CONTRIBUTING.md): {unknown}"


def test_no_import_cycles():
    graph = _graph()
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    assert cycles == [], f"import cycles: {cycles}"


def test_no_layer_imports_a_layer_above_it():
    bad = []
    for mod, deps in _graph().items():
        lm = _layer(mod)
        if lm is None or lm < 0:
            continue
        for d in deps:
            ld = _layer(d)
            if ld is not None and ld > lm:
                bad.append(f"{mod} (layer {lm}) imports {d} (layer {ld})")
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("name,path", sorted(_modules().items()))
def test_module_size(name, path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{name} has {n} lines; split it by concern (CONTRIBUTING.md)"


def test_stage_modules_declare_their_contract():
    from analysis.run.registry import STAGE_NAMES, stage_module
    from analysis.run.steps import stage_steps

    for name in STAGE_NAMES:
        mod = stage_module(name)
        assert mod.NAME == name
        for attr in ("VERSION", "Settings", "PRODUCES", "CONSUMES"):
            assert hasattr(mod, attr), f"stage {name} lacks {attr}"
        # one step running ``run``, or declared ``STEPS`` that write exactly what PRODUCES declares
        assert hasattr(mod, "run") or hasattr(mod, "STEPS"), f"stage {name} has neither run nor STEPS"
        assert stage_steps(mod), f"stage {name} has no steps"
        assert mod.Settings.group == name
        assert all(c.startswith("table:") for c in mod.CONSUMES)


def test_type_checking_imports_count(tmp_path):
    """An import under ``if TYPE_CHECKING:`` is a dependency (it once hid text -> corpus)."""
    modules = _modules()
    p = tmp_path / "mod.py"
    p.write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from analysis.corpus import Corpus\n",
                 encoding="utf-8")
    assert _imports(p, "analysis.text", modules) == {"analysis.corpus"}


#: the generic method wings: they take a study's choices as arguments (issue "graph", point 3)
METHOD_WINGS = ("textstats", "framing", "topicmod", "scaling", "stats", "semantic")


def test_method_wings_name_no_study():
    """No method module imports the study profiles (at import or inside a function) or names the
    R2P corpus or seed: the study reaches the steps through the run (``ctx.study``)."""
    from analysis.profiles import R2P

    modules = _modules()
    wings = {m: p for m, p in modules.items() if m.split(".")[1:2] and m.split(".")[1] in METHOD_WINGS}
    assert len(wings) > 20, sorted(wings)  # the wings are found (a renamed folder must not empty the test)
    corpus, seed = R2P.default_corpus, R2P.seed
    bad = []
    for mod, path in sorted(wings.items()):
        for dep in sorted(_imports(path, mod, modules)):
            if dep == "analysis.profiles" or dep.startswith("analysis.profiles."):
                bad.append(f"{mod} imports {dep}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Constant):
                continue
            if isinstance(node.value, str) and (corpus in node.value or str(seed) in node.value):
                bad.append(f"{mod}:{node.lineno} names {corpus!r} or the seed {seed} in {node.value[:60]!r}")
            elif type(node.value) is int and node.value == seed:
                bad.append(f"{mod}:{node.lineno} has the seed literal {seed}")
    assert bad == [], "\n".join(bad)


def test_method_wings_check_catches_a_leak(tmp_path):
    """The check above would see a profile import inside a function and a corpus name."""
    modules = _modules()
    p = tmp_path / "leak.py"
    p.write_text("def f():\n    from analysis.profiles import get_profile\n    return get_profile()\n",
                 encoding="utf-8")
    assert "analysis.profiles" in _imports(p, "analysis.textstats.leak", modules)
