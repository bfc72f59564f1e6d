"""The house reads bottom-up: errors and version, scanner, inventory, rhev and report, runner, cli.

Checked in the source (AST), not in ``sys.modules``: a test run imports
everything, so only the source can tell who imports whom.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Folder on disk -> the import name it installs as (pyproject's package-dir).
PACKAGES = {
    "vminv": ROOT / "vminv",
    "vminv.scanner": ROOT / "scanner",
    "vminv.inventory": ROOT / "inventory",
    "vminv.rhev": ROOT / "rhev",
    "vminv.runner": ROOT / "vminv" / "runner",
    "vminv.report": ROOT / "report",
    "vminv.cli": ROOT / "vminv" / "cli",
}

# What each layer may import from this project, besides itself.
ALLOWED = {
    "vminv": {"vminv.errors"},
    "vminv.scanner": {"vminv", "vminv.errors"},
    "vminv.inventory": {"vminv", "vminv.errors", "vminv.scanner"},
    "vminv.rhev": {"vminv", "vminv.errors", "vminv.scanner", "vminv.inventory"},
    "vminv.report": {"vminv", "vminv.errors", "vminv.scanner", "vminv.inventory"},
    "vminv.runner": {"vminv", "vminv.errors", "vminv.scanner", "vminv.inventory", "vminv.rhev", "vminv.report"},
    "vminv.cli": {"vminv", "vminv.errors", "vminv.scanner", "vminv.inventory", "vminv.rhev", "vminv.report", "vminv.runner"},
}

# UI libraries belong to the CLI alone.
UI_ONLY = {"click", "tabulate"}

OLD_TOP_LEVEL = {"scanner", "inventory", "rhev"}


def _modules(package: str) -> list[Path]:
    folder = PACKAGES[package]
    if package == "vminv":
        return sorted(folder.glob("*.py"))
    return sorted(folder.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            if node.module == "vminv":
                names.extend(f"vminv.{alias.name}" for alias in node.names)
    return names


def _layer_of(name: str) -> str | None:
    """The project layer an imported dotted name belongs to, or None if foreign."""
    if name == "vminv" or name.startswith("vminv._") or name == "vminv.errors":
        return "vminv" if name != "vminv.errors" else "vminv.errors"
    for layer in ("vminv.cli", "vminv.runner", "vminv.scanner", "vminv.inventory", "vminv.rhev", "vminv.report"):
        if name == layer or name.startswith(layer + "."):
            return layer
    return "vminv" if name.startswith("vminv") else None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    for module in _modules(package):
        for name in _imports(module):
            layer = _layer_of(name)
            if layer is None or layer == package:
                continue
            assert layer in ALLOWED[package], f"{module.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", ["vminv.scanner", "vminv.inventory", "vminv.rhev", "vminv.runner", "vminv"])
def test_libraries_import_no_ui_library(package: str) -> None:
    for module in _modules(package):
        for name in _imports(module):
            assert name.split(".")[0] not in UI_ONLY, f"{module.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_nothing_imports_the_old_top_level_names(package: str) -> None:
    for module in _modules(package):
        for name in _imports(module):
            assert name.split(".")[0] not in OLD_TOP_LEVEL, f"{module.relative_to(ROOT)} imports {name}"


def test_tests_and_benchmarks_use_the_installed_names_too() -> None:
    for folder in (ROOT / "tests", ROOT / "bench", ROOT / "fixtures"):
        for module in folder.rglob("*.py"):
            for name in _imports(module):
                assert name.split(".")[0] not in OLD_TOP_LEVEL, f"{module.relative_to(ROOT)} imports {name}"


def test_only_the_scanner_talks_to_libvirt() -> None:
    for package in ("vminv", "vminv.inventory", "vminv.rhev", "vminv.runner", "vminv.cli"):
        for module in _modules(package):
            for name in _imports(module):
                assert name.split(".")[0] != "libvirt", f"{module.relative_to(ROOT)} imports {name}"


def test_the_installed_names_map_to_the_folders() -> None:
    import vminv.inventory
    import vminv.rhev
    import vminv.scanner

    assert Path(vminv.scanner.__file__).parent == ROOT / "scanner"
    assert Path(vminv.inventory.__file__).parent == ROOT / "inventory"
    assert Path(vminv.rhev.__file__).parent == ROOT / "rhev"


# Pure modules: values in, values out. Importing one must not load a network,
# libvirt or ssh library, not even through a package ``__init__``.
PURE_MODULES = (
    "vminv.scanner.model",
    "vminv.scanner.domainxml",
    "vminv.scanner.noderange",
    "vminv.scanner.units",
    "vminv.scanner.table",
    "vminv.inventory.plan",
    "vminv.inventory.stanza",
    "vminv.inventory.xcat",
    "vminv.inventory.records",
    "vminv.rhev.model",
    "vminv.rhev.parse",
    "vminv.rhev.matching",
    "vminv.rhev.reconcile",
    "vminv.rhev.attributes",
    "vminv.rhev.settings",
)
IO_LIBRARIES = ("requests", "urllib3", "libvirt", "paramiko")


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_load_no_io_library(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"print(' '.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [], f"importing {module} loads {done.stdout.strip()}"


def test_lazy_package_exports_resolve() -> None:
    import vminv.rhev

    for name in vminv.rhev.__all__:
        assert not isinstance(getattr(vminv.rhev, name), types.ModuleType), f"vminv.rhev.{name} is a module"
    with pytest.raises(AttributeError):
        vminv.rhev.no_such_name  # noqa: B018
