"""What an installed package carries besides its modules: the files the app reads at run time."""

from __future__ import annotations

from pathlib import Path

from setuptools.config.setupcfg import read_configuration

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "search_service"


def _package_data() -> list[str]:
    return read_configuration(ROOT / "setup.cfg")["options"]["package_data"]["search_service"]


def test_every_package_data_pattern_names_files_that_exist():
    patterns = _package_data()
    assert len(patterns) > 1  # one pattern per line: a comma-joined line would be one pattern
    for pattern in patterns:
        assert list(PACKAGE.glob(pattern)), pattern


def test_every_file_the_app_reads_is_package_data():
    shipped = {path for pattern in _package_data() for path in PACKAGE.glob(pattern)}
    needed = [
        *PACKAGE.glob("templates/*.html"),
        *PACKAGE.glob("static/*"),
        *PACKAGE.glob("translations/*/LC_MESSAGES/messages.po"),
        *PACKAGE.glob("analysis/data/*.txt"),
        *PACKAGE.glob("sample/*.jsonl"),
    ]
    assert needed and set(needed) <= shipped
