"""The layers as ARCHITECTURE.md draws them: worker → shared ← tui, cli on top, sandbox apart.

Every import of every production module is read from its syntax tree, those inside functions
too, so a lazy import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shared", "worker", "tui", "cli", "sandbox")
#: what each package may import of the others
ALLOWED: dict[str, set[str]] = {
    "shared": set(),
    "worker": {"shared"},
    "tui": {"shared"},
    "cli": {"shared", "worker", "tui"},
    "sandbox": set(),
}
#: the commands that run the sandbox are the only modules outside it that import it
SANDBOX_RUNNERS = {"cli/sandbox.py", "cli/demo.py"}


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names)
    return found & set(PACKAGES)


def wrong_imports(package: str) -> list[str]:
    """`module imports package` for every import that breaks the layers."""
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        allowed = ALLOWED[package] | {package}
        if module in SANDBOX_RUNNERS:
            allowed = allowed | {"sandbox"}
        wrong += [f"{module} imports {other}" for other in imported_packages(path) - allowed]
    return wrong


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    assert wrong_imports(package) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def later():\n    from tui.app import App\n    import worker.app\n")
    assert imported_packages(module) == {"tui", "worker"}


def test_worker_families_are_packages_not_name_prefixes() -> None:
    """A family of worker modules is a package with a docstring saying what it owns, never a
    file-name prefix at the top of worker/ (`checks_runner.py`, `saft_store.py`, ...)."""
    worker = ROOT / "worker"
    families = sorted(path.parent.name for path in worker.glob("*/__init__.py"))
    for family in families:
        assert ast.get_docstring(ast.parse((worker / family / "__init__.py").read_text()))
    loose = [path.stem for path in worker.glob("*.py")]
    assert [name for name in loose if name.split("_")[0] in families] == []
