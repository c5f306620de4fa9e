"""The layering of the packages, checked on the source: dependencies point down, never up."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

# package -> what it may import besides the standard library
ALLOWED: dict[str, set[str]] = {
    "domain": {"domain", "pydantic", "eventsourcing.domain"},
    "adapters": {
        "domain",
        "adapters",
        "pydantic",
        "defusedxml",
        "structlog",
        "pytest",
        "hypothesis",
    },
    "projections": {"domain", "adapters", "projections", "eventsourcing.domain", "structlog"},
    "geography": {"domain", "geography", "shapely", "structlog"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def permitted(name: str, allowed: set[str]) -> bool:
    top = name.split(".", maxsplit=1)[0]
    return top in STDLIB or any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    """No module imports outside its layer (domain: stdlib, pydantic, eventsourcing.domain)."""
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imports_of(path)
        if not permitted(name, ALLOWED[package])
    }
    assert not offenders, sorted(offenders)


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself fails on a forbidden import, so a green run means something."""
    module = tmp_path / "bad.py"
    module.write_text("import sqlite3\nfrom eventsourcing.application import Application\n")
    bad = {n for n in imports_of(module) if not permitted(n, ALLOWED["domain"])}
    assert bad == {"eventsourcing.application"}
