"""The shape of the code: no import cycle, project imports at the top of their modules, and
the layer contracts of pyproject.toml (docs/development/architecture.md draws them)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "workflows", "surveys")
# Commands import what only they need, inside the command (see the module's docstring).
IMPORTS_IN_FUNCTIONS_ALLOWED = {"service/cli.py"}


def import_cycles() -> list[list[str]]:
    """The strongly connected components of the module import graph with more than one
    module (or a module importing itself): each holds at least one cycle."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        # Tarjan's algorithm, iteratively: the graph is deep enough for Python's recursion.
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                index[module] = low[module] = len(index)
                stack.append(module)
                on_stack.add(module)
            for offset, target in enumerate(edges[module][position:], position):
                if target not in index:
                    work += [(module, offset + 1), (target, 0)]
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1 or module in edges[module]:
                        found.append(sorted(component))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
    return found


def test_the_project_has_no_import_cycle():
    cycles = import_cycles()
    for component in cycles:
        print("import cycle among:", ", ".join(component))
    assert cycles == []


def _imports_in_functions(path: Path) -> list[str]:
    """Project modules imported inside a function body (not for type checking only)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} imports {name}")
    return found


def test_project_modules_are_imported_at_the_top_of_a_module_except_by_cli_commands():
    found = [
        line
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        and str(path.relative_to(ROOT)) not in IMPORTS_IN_FUNCTIONS_ALLOWED
        for line in _imports_in_functions(path)
    ]
    assert found == []


def test_the_import_contracts_hold():
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["type"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _matches(pattern: str, module: str) -> bool:
    return re.fullmatch(pattern.replace(".", r"\.").replace("*", r"[^.]+"), module) is not None


def test_every_module_below_the_edges_has_a_layer():
    """A module left out of the layers is checked by nothing: the contract would stay green
    while it imported any domain."""
    contracts = _contracts()
    edges = contracts["protected"]["allowed_importers"] + ["service.models"]
    layered = {
        name.strip() for layer in contracts["layers"]["layers"] for name in re.split(r"[|:]", layer)
    }
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    packages = {module.rsplit(".", 1)[0] for module in graph.modules if "." in module}
    unlayered = sorted(
        module
        for module in graph.modules
        if module not in packages
        and not any(_matches(edge, module) for edge in edges)
        and not any(module == name or module.startswith(name + ".") for name in layered)
    )
    assert unlayered == []


def test_the_app_starts_without_the_libraries_only_matching_and_workbooks_use():
    """scipy's sparse matrices and openpyxl (with Pillow) hold about 50 MB together in every
    process that imports them; a web worker that never matches or writes a workbook need
    not carry them, so they are imported where they are used."""
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from service import create_app\n"
            "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x' * 40})\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'openpyxl', 'PIL'}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"
