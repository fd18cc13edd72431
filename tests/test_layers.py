"""The two lines the package's layout stands on.

1. The engine, the data, the training package and the shared helpers never import Qt or
   pyqtgraph: neither in their source (any import statement, inside functions too) nor when
   every one of their modules is imported and a network trains a step.
2. No two modules of ``visualcnn`` import each other, directly or through others. A package's
   ``__init__`` that only re-exports does not count: an import of a name from it counts as an
   import of the module the name comes from.

And each layer imports only the layers below it (see the README's Code map).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "visualcnn"
QT = ("PyQt6", "pyqtgraph", "PySide6", "PyQt5", "PySide2")
QT_FREE = ("visualcnn.common", "visualcnn.nn", "visualcnn.data", "visualcnn.training",
           "visualcnn.bench.engine", "visualcnn.yours", "visualcnn.lessons")
# What each layer may import of visualcnn, besides itself and the top package's face.
MAY_IMPORT = {
    "visualcnn.common": set(),
    "visualcnn.nn": {"visualcnn.common"},
    "visualcnn.data": {"visualcnn.common"},
    "visualcnn.training": {"visualcnn.common", "visualcnn.nn", "visualcnn.data"},
    "visualcnn.yours": {"visualcnn.common", "visualcnn.nn"},
    "visualcnn.lessons": {"visualcnn.common", "visualcnn.nn", "visualcnn.data",
                          "visualcnn.training"},
    "visualcnn.app": {"visualcnn.common", "visualcnn.nn", "visualcnn.data",
                      "visualcnn.training", "visualcnn.yours", "visualcnn.lessons"},
    "visualcnn.bench": {"visualcnn.common", "visualcnn.nn", "visualcnn.data",
                        "visualcnn.training", "visualcnn.yours", "visualcnn.lessons",
                        "visualcnn.app"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement in ``path``, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module_name(path).split(".")
                package = here if path.name == "__init__.py" else here[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names]))
    return found


def is_face(name: str) -> bool:
    """A package __init__ that only re-exports: imports, __all__, a docstring, and simple
    assignments of constants (the top package sets an environment default)."""
    path = MODULES[name]
    if path.name != "__init__.py":
        return False
    return not any(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                   for n in ast.parse(path.read_text()).body)


def resolve(module: str, names: list[str]) -> set[str]:
    """The visualcnn modules an import statement really depends on."""
    targets = set()
    if module not in MODULES:
        return targets
    if not names or not is_face(module):
        # ``from pkg import submodule`` depends on the submodule.
        subs = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
        return subs | ({module} if set(names) - {s.rsplit(".", 1)[1] for s in subs} or not names
                       else set())
    for name in names:
        if f"{module}.{name}" in MODULES:
            targets.add(f"{module}.{name}")
            continue
        # A name the face re-exports: follow it to where it is defined.
        for source, imported in imports_of(MODULES[module]):
            if name in imported:
                targets |= resolve(source, [name])
    return targets


def graph() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        if is_face(name):
            continue
        deps = set()
        for module, names in imports_of(path):
            deps |= resolve(module, names)
        edges[name] = {d for d in deps if d != name and not is_face(d)}
    return edges


def test_qt_free_layers_have_no_qt_import_in_their_source():
    offenders = [f"{name} imports {module}"
                 for name, path in MODULES.items() if name.startswith(QT_FREE)
                 for module, _ in imports_of(path) if module.split(".")[0] in QT]
    assert offenders == []


def test_qt_free_layers_load_no_qt_when_imported_and_trained():
    names = sorted(n for n in MODULES if n.startswith(QT_FREE))
    check = (f"import sys, importlib\nfor n in {names!r}: importlib.import_module(n)\n"
             "import visualcnn\n"
             "net = visualcnn.Network.from_arch('conv8x3-pool2-dense10')\n"
             "net.train_step([[[0.5] * 28] * 28], 3, 0.01)\n"
             f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r})))\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"the Qt-free layers loaded {done.stdout.strip()}"


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_two_modules_import_each_other():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle_through_a_third_module():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def layer_of(name: str) -> str | None:
    return next((layer for layer in MAY_IMPORT if name == layer or name.startswith(layer + ".")),
                None)


@pytest.mark.parametrize("layer", list(MAY_IMPORT))
def test_each_layer_imports_only_the_layers_below_it(layer):
    wrong = sorted(f"{name} -> {dep}" for name, deps in graph().items()
                   if layer_of(name) == layer for dep in deps
                   if layer_of(dep) not in (layer, None) and layer_of(dep) not in MAY_IMPORT[layer]
                   or dep in ("visualcnn.cli", "visualcnn.__main__"))
    assert wrong == []


def test_the_code_names_no_issue_numbers():
    # Code and comments say what the code is, not which request asked for it.
    pattern = re.compile(r"\bissues? *#?\d+", re.IGNORECASE)
    found = [f"{path.relative_to(PACKAGE.parent)}:{i}"
             for path in MODULES.values()
             for i, line in enumerate(path.read_text().splitlines(), start=1)
             if pattern.search(line)]
    assert found == []


def test_no_class_does_several_jobs():
    # A class past about 300 lines is doing several jobs: split it by job.
    long = [f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for name, path in MODULES.items()
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 300]
    assert long == []
