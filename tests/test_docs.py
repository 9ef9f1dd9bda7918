"""The README is the manual: every setting, command and endpoint must be in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search_service import create_app
from search_service.cli import main
from search_service.config import SETTINGS
from search_service.errors import ApiError
from search_service.web import server

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=lambda s: s.env)
def test_every_setting_is_documented_with_its_default(setting):
    row = re.search(rf"^\| `{setting.env}` \| `([^`]*)` \|", README, re.MULTILINE)
    assert row, f"{setting.env} is missing from the README's settings table"
    assert row.group(1) == setting.default


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_has_a_section(command):
    assert re.search(rf"^### `search-service {command}\b", README, re.MULTILINE)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_has_an_example_in_its_help(command):
    assert "Example:" in (main.commands[command].help or "")


def test_every_endpoint_is_documented(tmp_path):
    app = create_app({"index_dir": tmp_path})
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert rules
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            methods = rule.methods - {"HEAD", "OPTIONS"}
            assert any(f"### `{method} {rule.rule}`" in README for method in methods), rule


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_procfile_serves_the_app_with_the_gunicorn_config():
    web = (ROOT / "Procfile").read_text().strip()
    assert web.startswith("web: gunicorn --config gunicorn.conf.py ")
    assert "search_service:create_app()" in web


def _readme_error_codes() -> dict[str, int]:
    """The README's "Error codes" table: code → status."""
    section = README.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, re.MULTILINE)
    return {code: int(status) for code, status in rows}


def _declared_error_codes() -> dict[str, int]:
    """Every code the service can send: each ApiError class, and what gunicorn's pages use."""
    declared: dict[str, int] = {}
    pending = [ApiError]
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        if kind is not ApiError:
            assert kind.code not in declared, f"{kind.code} is declared twice"
            declared[kind.code] = kind.status
    for status, kind in server.GUNICORN_ERRORS.items():
        assert declared.get(kind.code), f"gunicorn's {status} sends an undeclared code"
    return declared


def test_every_error_code_is_in_the_readme_table_and_every_row_is_a_code():
    documented, declared = _readme_error_codes(), _declared_error_codes()
    assert sorted(set(declared) - set(documented)) == [], "declared but not in the README"
    assert sorted(set(documented) - set(declared)) == [], "in the README but not declared"
    assert documented == declared  # and with the status each class answers with


def test_the_module_map_names_every_sub_package_and_only_those():
    section = README.split("## Module map", 1)[1].split("\n## ", 1)[0]
    mapped = set(re.findall(r"^\| `(\w+)/` \|", section, re.MULTILINE))
    packages = {
        path.parent.name
        for path in (ROOT / "search_service").glob("*/__init__.py")
        if path.parent.name != "__pycache__"
    }
    assert mapped == packages


def test_the_module_map_names_only_modules_that_exist():
    section = README.split("## Module map", 1)[1].split("\n## ", 1)[0]
    for row in re.finditer(r"^\| `(\w+)/` \| (.*)$", section, re.MULTILINE):
        package, text = row.groups()
        for module in re.findall(r"`(\w+)\.py`", text):
            assert (ROOT / "search_service" / package / f"{module}.py").exists(), module
