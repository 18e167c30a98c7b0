"""The architecture holds: the import-linter contracts in pyproject.toml are kept, no
module of `scanner` takes part in an import cycle (imports inside functions included),
and every module is small and says what its job is."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 500


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the `scanner` package found under `root`."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def _imports(root: Path) -> dict[str, set[str]]:
    """Module -> the `scanner` modules it imports anywhere in its body (deferred too)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((root / "scanner").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        graph[name] = found
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph`, as a path, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "scanner", root / "scanner")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_import_contracts_are_kept() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_a_contract(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    model = root / "scanner" / "model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\nfrom scanner.report.text import render_text\n",
                     encoding="utf-8")
    result = _lint(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "scanner.model -> scanner.report.text" in result.stdout


def test_no_import_cycles_even_through_deferred_imports() -> None:
    assert _cycle(_imports(REPO)) is None


def test_a_deferred_import_cycle_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    values = root / "scanner" / "propagate" / "values.py"
    values.write_text(values.read_text(encoding="utf-8")
                      + "\n\ndef _late() -> None:\n    from scanner.propagate.engine import Engine  # noqa\n",
                      encoding="utf-8")
    cycle = _cycle(_imports(root))
    assert cycle is not None and "scanner.propagate.values" in cycle


def test_modules_are_small_and_open_with_their_job() -> None:
    for path in sorted((REPO / "scanner").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        assert lines <= MAX_MODULE_LINES, f"{path.relative_to(REPO)}: {lines} lines"
        if path.name != "__init__.py" or lines > 3:
            assert ast.get_docstring(ast.parse(text)), f"{path.relative_to(REPO)} has no docstring"


def test_every_package_is_installed() -> None:
    """A non-editable install ships every package of `scanner` (pyproject lists them)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "scanner").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
