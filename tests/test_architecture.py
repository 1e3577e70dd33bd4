"""Rules about where code lives."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_services_do_not_import_flask():
    offenders = [
        path.name
        for path in (ROOT / "app" / "services").glob("*.py")
        if any(
            name == "flask" or name.startswith("flask.")
            for name in imported_modules(path)
        )
    ]

    assert offenders == []


def test_no_print_in_application_code():
    offenders = []
    for folder in ("app", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "print"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")

    assert offenders == []
