"""The package's public interface and import graph, read from the source files.

Every module of course_utils declares ``__all__`` (its public names);
course_utils ships ``py.typed``; no module imports another module's private names
(``from x import _y`` or ``x._y``); course_utils's imports run one way (no cycles), with
the numpy-only modules below the PyMC ones.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tools.notebooks import ROOT

PACKAGES = ("course_utils", "tools")
MODULES = sorted(path for package in PACKAGES for path in (ROOT / package).glob("*.py"))
#: Modules that may import PyMC (slow to import): nothing below them may.
PYMC_MODULES = {"course_utils.models", "course_utils.checks"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imports_of(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import in the file, at any depth."""
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
    return found


def own(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def test_the_modules_are_found():
    names = {module_name(path) for path in MODULES}
    assert {"course_utils.validation", "course_utils.glmm", "tools.notebooks"} <= names


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_no_module_imports_private_names_of_another(path):
    """``from course_utils.glmm import _parse`` couples two modules through a name that the
    first may change at will; shared code belongs in a public function of a low module."""
    this = module_name(path)
    offences = []
    for module, name, line in imports_of(path):
        if not own(module) or module == this:
            continue
        private_module = any(part.startswith("_") for part in module.split(".")[1:])
        if private_module or (name is not None and name.startswith("_")):
            offences.append(f"line {line}: from {module} import {name}")
    tree = parse(path)
    aliases = {
        alias.asname or alias.name: node.module + "." + alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and own(node.module)
        for alias in node.names
    }
    aliases.update(
        {
            alias.asname or alias.name: alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
            if own(alias.name)
        }
    )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            offences.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not offences, f"{this} uses private names of other modules: {offences}"


def course_utils_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "course_utils").glob("*.py"):
        this = module_name(path)
        targets = set()
        for module, name, _ in imports_of(path):
            if module == "course_utils" and name:  # from course_utils import glmm
                targets.add(f"course_utils.{name}")
            elif module.startswith("course_utils."):
                targets.add(module)
        graph[this] = targets - {this}
    return graph


def test_course_utils_imports_run_one_way():
    """No import cycle: every module can be read knowing only the modules below it."""
    graph = course_utils_graph()
    order: list[str] = []
    visiting: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in order:
            return
        assert module not in visiting, f"import cycle: {' -> '.join((*path, module))}"
        visiting.add(module)
        for target in sorted(graph.get(module, ())):
            visit(target, (*path, module))
        visiting.discard(module)
        order.append(module)

    for module in sorted(graph):
        visit(module, ())


def test_numpy_only_modules_do_not_import_pymc():
    """Only the modules that build or check PyMC models import PyMC (seconds of start-up);
    the exact posteriors, glmer and the widgets do not, directly or through another."""
    graph = course_utils_graph()
    for path in (ROOT / "course_utils").glob("*.py"):
        this = module_name(path)
        if this in PYMC_MODULES or this == "course_utils.studies":
            continue
        reachable, stack = set(), [this]
        while stack:
            for target in graph.get(stack.pop(), ()):
                if target not in reachable:
                    reachable.add(target)
                    stack.append(target)
        assert not reachable & PYMC_MODULES, (this, reachable & PYMC_MODULES)
        top_level = {
            module.split(".")[0]
            for node in parse(path).body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for module in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        }
        assert "pymc" not in top_level, this


@pytest.mark.parametrize("path", sorted((ROOT / "course_utils").glob("*.py")), ids=module_name)
def test_every_module_declares_its_public_names(path):
    """``__all__`` lists the module's public functions and classes (and its constants)."""
    name = module_name(path)
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    defined = {
        node.name
        for node in parse(path).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    }
    unlisted = defined - set(module.__all__)
    assert not unlisted, f"{name}: public but not in __all__: {unlisted}"
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert not missing, f"{name}: __all__ names what it does not define: {missing}"


def test_course_utils_ships_its_types():
    assert (ROOT / "course_utils" / "py.typed").is_file()
