"""The README is the guide and docs/ the reference: every setting, command, endpoint and error
code is documented there exactly once, and every relative link leads to a file and heading."""

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
DOCS = {path.name: path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("docs/*.md"))}
PAGES = {"README.md": README, **{f"docs/{name}": text for name, text in DOCS.items()}}
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def test_the_readme_is_a_guide_of_at_most_450_lines():
    assert len(README.splitlines()) <= 450


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=lambda s: s.env)
def test_every_setting_is_documented_once_with_its_default(setting):
    pattern = re.compile(rf"^\| `{setting.env}` \| `([^`]*)` \|", re.MULTILINE)
    rows = [row for text in PAGES.values() for row in pattern.findall(text)]
    assert rows == [setting.default], f"{setting.env}: documented defaults {rows}"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_has_a_section(command):
    assert len(re.findall(rf"^## `search-service {command}\b", DOCS["cli.md"], re.MULTILINE)) == 1


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
            headings = [f"## `{method} {rule.rule}`" for method in methods]
            assert any(heading in DOCS["http-api.md"] for heading in headings), rule


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


def _make_dry_run(target: str, tmp_path: Path) -> str:
    """What ``make TARGET`` would run in a fresh clone (a virtualenv that does not exist yet)."""
    import subprocess

    venv = tmp_path / "fresh-venv"
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_only_what_serving_needs(tmp_path):
    lines = _make_dry_run("run", tmp_path).splitlines()
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all(line.rstrip().endswith("install --quiet -e .") for line in installs)


def test_make_test_installs_the_test_extras(tmp_path):
    assert "install --quiet -e '.[test]'" in _make_dry_run("test", tmp_path)


def _production_section() -> str:
    return DOCS["production.md"].split("\n## Running in production\n", 1)[1]


def test_the_production_section_points_to_every_error_code_a_client_can_receive():
    assert "[Error codes](errors.md)" in _production_section()
    named = {"invalid_json", "job_not_found", "uri_too_long", "request_header_fields_too_large"}
    assert named <= set(_documented_error_codes())


def test_the_production_section_covers_proxy_workers_and_backups():
    text = _production_section()
    for needed in ("Procfile", "SEARCH_TRUSTED_PROXIES", "WEB_CONCURRENCY", "MB", "flock"):
        assert needed in text, needed


def test_the_production_backup_command_makes_an_archive_that_restores(tmp_path, sample_index):
    import shutil
    import subprocess

    from search_service import create_app

    block = re.search(r"```sh\n(cd \"\$SEARCH_INDEX_DIR\".*?)```", _production_section(), re.S)
    assert block, "the backup command is missing"
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir, symlinks=True)
    script = block.group(1).replace("/backup/", f"{tmp_path}/")
    result = subprocess.run(
        ["sh", "-c", script],
        env={"SEARCH_INDEX_DIR": str(index_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    [archive] = tmp_path.glob("search-*.tgz")
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.unpack_archive(archive, restored)
    client = create_app({"index_dir": restored}).test_client()
    assert client.get("/search?q=parliament").get_json()["total"] > 0


def _documented_error_codes() -> dict[str, int]:
    """The table of docs/errors.md: code → status, each code in one row only."""
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", DOCS["errors.md"], re.MULTILINE)
    codes = [code for code, _ in rows]
    assert len(codes) == len(set(codes)), "a code has two rows"
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


def test_every_error_code_is_in_the_errors_page_once_and_every_row_is_a_code():
    documented, declared = _documented_error_codes(), _declared_error_codes()
    assert sorted(set(declared) - set(documented)) == [], "declared but not in docs/errors.md"
    assert sorted(set(documented) - set(declared)) == [], "in docs/errors.md but not declared"
    assert documented == declared  # and with the status each class answers with


def _module_map() -> set[str]:
    section = README.split("\n## Module map\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w/]+(?:\.py|/))` \|", section, re.MULTILINE))


def test_the_module_map_names_every_module_and_package_and_only_those():
    package = ROOT / "search_service"
    modules = {"__init__.py"}
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if path.name != "__init__.py":
            modules.add(relative.as_posix())
        elif relative.parent != Path("."):
            modules.add(f"{relative.parent.as_posix()}/")
    mapped = _module_map()
    assert sorted(modules - mapped) == [], "in search_service/ but not in the module map"
    assert sorted(mapped - modules) == [], "in the module map but not in search_service/"


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    anchors: set[str] = set()
    for heading in re.findall(r"^#+ (.*)$", FENCED.sub("", text), re.MULTILINE):
        slug = base = _slug(heading)
        number = 0
        while slug in anchors:
            number += 1
            slug = f"{base}-{number}"
        anchors.add(slug)
    return anchors


def _relative_links() -> list[tuple[str, str]]:
    links = []
    for name, text in PAGES.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", FENCED.sub("", text)):
            if not re.match(r"[a-z]+:", target):
                links.append((name, target))
    return links


@pytest.mark.parametrize(("page", "target"), _relative_links(), ids="{0[0]}->{0[1]}".format)
def test_every_relative_link_leads_to_a_file_and_heading(page, target):
    path, _, anchor = target.partition("#")
    file = (ROOT / page).parent / path if path else ROOT / page
    assert file.exists(), f"{page} links to {target}: no such file"
    if anchor:
        assert anchor in _anchors(file.read_text(encoding="utf-8")), f"{page}: no #{anchor}"
