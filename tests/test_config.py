import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import get_origin, get_type_hints

import pytest

from search_service import config as settings
from search_service import create_app
from search_service.cli import main
from search_service.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_apply_when_the_environment_is_empty():
    config = settings.load({})
    assert config.index_dir == Path("index")
    assert config.languages == ("en", "ru", "az", "tr")
    assert config.max_query_length == 1000
    assert config.max_per_page == 100


def test_environment_overrides_defaults_and_explicit_overrides_win():
    environ = {"SEARCH_INDEX_DIR": "/srv/search", "SEARCH_LANGUAGES": " EN, ru ,ru"}
    config = settings.load(environ)
    assert config.index_dir == Path("/srv/search")
    assert config.languages == ("en", "ru")
    assert settings.load(environ, index_dir="/elsewhere").index_dir == Path("/elsewhere")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SEARCH_LOCK_TIMEOUT", "soon"),
        ("SEARCH_LOCK_TIMEOUT", "0"),
        ("SEARCH_MAX_PER_PAGE", "-5"),
        ("SEARCH_LANGUAGES", " , "),
        ("SEARCH_RATELIMIT", "lots"),
        ("SEARCH_SUGGEST_RATELIMIT", "30 a minute"),
    ],
)
def test_an_unusable_value_names_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        settings.load({variable: value})


def test_a_language_without_an_analyzer_stops_the_app_and_the_command_line(runner, tmp_path):
    with pytest.raises(ConfigError, match="SEARCH_LANGUAGES: no analyzer for 'xx'"):
        create_app({"index_dir": tmp_path, "languages": ("en", "xx")})
    result = runner.invoke(
        main, ["stats", "--index-dir", str(tmp_path)], env={"SEARCH_LANGUAGES": "en,xx"}
    )
    assert result.exit_code == 1
    assert "SEARCH_LANGUAGES: no analyzer for 'xx'" in result.output


def test_every_setting_is_a_field_typed_as_its_parser_returns():
    hints = get_type_hints(settings.Config)
    defaults = settings.load({})
    assert [f.name for f in fields(settings.Config)] == list(settings.SETTINGS)
    for name, setting in settings.SETTINGS.items():
        parse = setting.parse
        returns = parse if isinstance(parse, type) else get_type_hints(parse)["return"]
        assert hints[name] == returns, name
        assert isinstance(getattr(defaults, name), get_origin(returns) or returns), name


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        settings.load({}, index_path="x")


def test_gunicorn_takes_its_bind_address_workers_and_log_level_from_the_same_settings():
    probe = (
        "import runpy; conf = runpy.run_path('gunicorn.conf.py'); "
        "print(conf['bind'], conf['workers'], conf['loglevel'])"
    )
    environ = {
        **os.environ,
        "SEARCH_HOST": "127.0.0.2",
        "PORT": "8123",
        "WEB_CONCURRENCY": "3",
        "SEARCH_LOG_LEVEL": "WARNING",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.stdout.split() == ["127.0.0.2:8123", "3", "warning"], out.stderr


def test_gunicorn_refuses_an_unusable_setting_with_its_name():
    probe = "import runpy; runpy.run_path('gunicorn.conf.py')"
    environ = {**os.environ, "WEB_CONCURRENCY": "many"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "WEB_CONCURRENCY='many' is invalid" in out.stderr
