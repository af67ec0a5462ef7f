"""Imports point one way: domain <- adapters <- services <- entry points."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tdl_inbox"


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_is_pure(path):
    allowed_third_party = {"anyascii"}  # pure transliteration tables, no I/O
    for name in imports_of(path):
        top = name.split(".")[0]
        if top == "tdl_inbox":
            assert name.startswith("tdl_inbox.domain"), f"{path.name} imports {name}"
        else:
            assert top in sys.stdlib_module_names or top in allowed_third_party, name
        assert top not in {"socket", "sqlite3", "smtplib", "imaplib", "subprocess"}, name


@pytest.mark.parametrize("path", modules("adapters"), ids=lambda p: p.name)
def test_adapters_never_import_services_or_entry_points(path):
    # Adapters implement the ports services declare: that module is the one they may import.
    for name in imports_of(path):
        if name == "tdl_inbox.services.intake.ports":
            continue
        assert not name.startswith(("tdl_inbox.services", "tdl_inbox.cli", "tdl_inbox.daemon"))


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_never_import_entry_points(path):
    for name in imports_of(path):
        assert not name.startswith(("tdl_inbox.cli", "tdl_inbox.daemon", "tdl_inbox.app")), (
            f"{path.name}: {name}"
        )


def test_only_the_imap_adapter_imports_imapclient_and_only_smtp_imports_smtplib():
    for path in PACKAGE.rglob("*.py"):
        tops = {name.split(".")[0] for name in imports_of(path)}
        if "imapclient" in tops or "imaplib" in tops:
            assert path.name == "imap.py", path
        if "smtplib" in tops:
            assert path.name == "smtp.py", path
        if "apscheduler" in tops:
            assert path.name == "daemon.py", path


MIGRATIONS = PACKAGE.parents[1] / "migrations" / "versions"


def test_cli_is_imported_by_nothing_outside_cli_but_the_main_module():
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "cli") or path == PACKAGE / "__main__.py":
            continue
        for name in imports_of(path):
            assert not name.startswith("tdl_inbox.cli"), f"{path.relative_to(PACKAGE)}: {name}"


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: p.name)
def test_cli_calls_services_never_adapters(path):
    for name in imports_of(path):
        assert not name.startswith("tdl_inbox.adapters"), f"{path.name}: {name}"


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: p.name)
def test_services_take_values_not_the_config(path):
    # The composition root (app.py) reads the settings and passes services what they need.
    for name in imports_of(path):
        assert not name.startswith("tdl_inbox.config"), f"{path.name}: {name}"


@pytest.mark.parametrize("path", sorted(MIGRATIONS.glob("*.py")), ids=lambda p: p.name)
def test_migrations_use_only_the_column_types_of_the_package(path):
    # A migration must do forever what it did when written: live package code can change.
    for name in imports_of(path):
        if name.split(".")[0] == "tdl_inbox":
            assert name == "tdl_inbox.adapters.db.types", f"{path.name}: {name}"


def test_the_product_never_imports_the_development_helpers():
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            assert name.split(".")[0] != "tdl_inbox_dev", f"{path.relative_to(PACKAGE)}: {name}"


@pytest.mark.parametrize("path", modules("web"), ids=lambda p: p.name)
def test_web_calls_services_never_adapters(path):
    # Like the CLI: a thin entry point over the services and the composition root.
    for name in imports_of(path):
        assert not name.startswith(("tdl_inbox.adapters", "tdl_inbox.cli")), f"{path.name}: {name}"


def test_web_is_imported_only_by_the_serve_command():
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "web") or path == PACKAGE / "cli" / "commands_web.py":
            continue
        for name in imports_of(path):
            assert not name.startswith("tdl_inbox.web"), f"{path.relative_to(PACKAGE)}: {name}"
