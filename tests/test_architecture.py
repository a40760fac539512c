"""The rules of docs/architecture.md that code can check: no import circles in `minikeras/` or
`bench/` (deferred imports included), and nothing outside `model.py`, `trainer.py` (the training
half of `Model`) and `engine.py` touches a private member of `Model` or `Engine`."""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("minikeras", "bench")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(*folders: str) -> dict[str, pathlib.Path]:
    return {_module_name(path): path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))}


def _imports(name: str, path: pathlib.Path, modules: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its file (function bodies included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            source = ".".join(part for part in (base if node.level else "", node.module or "") if part)
            submodules = {f"{source}.{alias.name}" for alias in node.names} & modules
            found |= submodules or {source}
    return {module for module in found if module in modules and module != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_no_import_circles():
    sources = _sources(*PACKAGES)
    graph = {name: _imports(name, path, set(sources)) for name, path in sources.items()}
    assert graph["minikeras.model"] >= {"minikeras.engine", "minikeras.saving", "minikeras.gradcheck"}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private_members(path: pathlib.Path, class_name: str) -> set[str]:
    """Underscore names a class defines: its methods and the attributes it assigns on self."""
    tree = ast.parse(path.read_text())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name)
    names = {node.name for node in cls.body if isinstance(node, ast.FunctionDef)}
    names |= {node.attr for node in ast.walk(cls) if isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id == "self" and isinstance(node.ctx, ast.Store)}
    return {name for name in names if name.startswith("_") and not name.endswith("__")}


@pytest.fixture(scope="module")
def private_members():
    members = (_private_members(ROOT / "minikeras" / "model.py", "Model")
               | _private_members(ROOT / "minikeras" / "trainer.py", "Trainer")
               | _private_members(ROOT / "minikeras" / "engine.py", "Engine"))
    assert {"_engine", "_rng", "_require_built", "_fit_epoch", "_train_layers", "_store"} <= members
    return members


def test_no_module_reaches_into_model_or_engine(private_members):
    owners = {ROOT / "minikeras" / name for name in ("model.py", "trainer.py", "engine.py")}
    uses = []
    for path in _sources(*PACKAGES, "tests", "examples").values():
        if path in owners:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr in private_members
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                uses.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert uses == []


def test_only_the_engine_and_the_optimizer_base_know_the_flat_store():
    """The flat arrays are the engine's fast path (and an element-wise optimizer's): layers, saving,
    callbacks and tools see Variables only."""
    sources = _sources(*PACKAGES)
    importers = {name for name, path in sources.items() if "minikeras.store" in _imports(name, path, set(sources))}
    assert importers == {"minikeras.engine", "minikeras.optimizers.base"}
    flat_only = {"_apply_packed", "_flat_slots"}
    uses = []
    for path in _sources(*PACKAGES, "tests", "examples", "bench").values():
        if path.name in ("engine.py", "base.py") and path.parent.name in ("minikeras", "optimizers") \
                or path.name == "test_optimizers.py":  # the formula tests run both paths on purpose
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in flat_only:
                uses.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert uses == []


def test_no_module_is_longer_than_500_lines():
    long = {str(path.relative_to(ROOT)): n for path in _sources("minikeras").values()
            if (n := len(path.read_text().splitlines())) > 500}
    assert long == {}
