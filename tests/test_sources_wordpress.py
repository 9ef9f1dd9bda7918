"""The WordPress recipes in deploy/ (WPML and Polylang), run as written against WordPress's own
tables in a real PostgreSQL 15 and a real MariaDB, through the real `search-service sync`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from search_service.cli import main
from search_service.indexing.store import IndexStore
from tests.support.mariadb import MariaDB
from tests.support.postgres import Postgres

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Per database: WordPress's tables in its types, its spelling of UTC now (the recipes do not
# need one, the tests do), and the date WordPress leaves in a draft's post_date_gmt (MySQL's
# zero date; PostgreSQL has none).
DIALECTS = {
    "postgresql": ("wordpress-postgresql.sql", "(now() AT TIME ZONE 'UTC')", "0001-01-01 00:00:00"),
    "mariadb": ("wordpress-mysql.sql", "UTC_TIMESTAMP()", "0000-00-00 00:00:00"),
}
# (term_taxonomy_id = term_id, name, taxonomy); Polylang's languages are terms as well.
TERMS = [
    (1, "Transport", "category"),
    (2, "Economy", "category"),
    (3, "ferries", "post_tag"),
    (4, "Caspian", "post_tag"),
    (5, "en", "language"),
    (6, "ru", "language"),
    (7, "pll_ferry", "post_translations"),  # Polylang's translation group of posts 10 and 11
]
CONTENT = (
    "<!-- wp:paragraph --><p>Two new ferries join the Caspian route &amp; fares fall.</p>"
    '<!-- /wp:paragraph -->\n[caption id="attachment_9" align="alignright" width="300"]'
    '<img src="/a.jpg"/> The ferry at dawn[/caption]'
)


def post(number: int, **changes: Any) -> dict[str, Any]:
    values = {
        "ID": number,
        "post_author": 1,
        "post_date": "2025-03-04 14:00:00",
        "post_date_gmt": "2025-03-04 10:00:00",
        "post_modified": "2025-03-04 14:00:00",
        "post_modified_gmt": "2025-03-04 10:00:00",
        "post_title": f"Ferry story {number} &#8212; the port",
        "post_excerpt": "Fares &amp; routes",
        "post_content": CONTENT,
        "post_name": f"ferry-story-{number}",
        "guid": f"https://news.example.org/?p={number}",
        # WordPress writes these; MySQL's text columns have no default to fall back on.
        "to_ping": "",
        "pinged": "",
        "post_content_filtered": "",
    }
    values.update(changes)
    return values


class WordPress:
    """A WordPress database with one of the recipes as its sources file."""

    def __init__(self, server: Postgres | MariaDB, folder: Path, recipe: str) -> None:
        self.server = server
        self.dialect = "mariadb" if isinstance(server, MariaDB) else "postgresql"
        schema, self.utc_now, self.zero_date = DIALECTS[self.dialect]
        self.database = server.new_database()
        self.recipe = recipe
        for statement in (FIXTURES / schema).read_text().split(";\n"):
            if statement.strip():
                self.execute(statement)
        self.execute("INSERT INTO wp_users (ID, user_login, user_nicename, display_name) "
                     "VALUES (1, 'aliyeva', 'aliyeva', 'Leyla Aliyeva')")  # fmt: skip
        for term_id, name, taxonomy in TERMS:
            self.execute("INSERT INTO wp_terms VALUES (%s, %s, %s, 0)", (term_id, name, name))
            self.execute(
                "INSERT INTO wp_term_taxonomy VALUES (%s, %s, %s, '', 0, 0)",
                (term_id, term_id, taxonomy),
            )
        self.config_file = DEPLOY / f"wordpress-{recipe}.toml"
        self.index_dir = folder / "index"
        self.env = {
            "WORDPRESS_DATABASE_URL": server.url(self.database),
            "SEARCH_INDEX_DIR": str(self.index_dir),
        }

    def execute(self, sql: str, params: tuple | list = ()) -> None:
        """One statement, committed (both drivers take %s parameters)."""
        if isinstance(self.server, MariaDB):
            with self.server.connect(self.database) as conn, conn.cursor() as cursor:
                cursor.execute(sql, params or None)
        else:
            with self.server.connect(self.database, autocommit=True) as conn:
                conn.execute(sql, params or None)

    def add(
        self, values: dict[str, Any], lang: str = "en", terms: tuple[int, ...] = (), story: int = 0
    ) -> None:
        names = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        self.execute(f"INSERT INTO wp_posts ({names}) VALUES ({marks})", list(values.values()))
        number = values["ID"]
        self.language(number, lang, story or number)
        for term in terms:
            self.execute("INSERT INTO wp_term_relationships VALUES (%s, %s, 0)", (number, term))

    def language(self, number: int, lang: str, story: int) -> None:
        """Where each plugin keeps a post's language and translation group: WPML its own
        table, Polylang terms."""
        if self.recipe == "wpml":
            self.execute(
                "INSERT INTO wp_icl_translations (element_type, element_id, trid, language_code) "
                "VALUES ('post_post', %s, %s, %s)",
                (number, story, lang),
            )
            return
        term = next(term_id for term_id, name, _ in TERMS if name == lang)
        self.execute("INSERT INTO wp_term_relationships VALUES (%s, %s, 0)", (number, term))
        if story != number:
            self.execute("INSERT INTO wp_term_relationships VALUES (%s, %s, 0)", (number, story))

    def sync(self, *args: str) -> Any:
        result = CliRunner().invoke(
            main, ["sync", "--config", str(self.config_file), *args], env=self.env
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == 0, result.output
        return result

    def indexed(self) -> dict[str, dict[str, Any]]:
        _, ix = IndexStore(self.index_dir).open_current()
        with ix.searcher() as searcher:
            return {document["id"]: document for document in searcher.documents()}


@pytest.fixture(params=["postgresql", "mariadb"])
def wordpress_server(request: pytest.FixtureRequest) -> Postgres | MariaDB:
    """The databases WordPress sites run on: MySQL or MariaDB mostly, PostgreSQL by plugin."""
    return request.getfixturevalue("postgres" if request.param == "postgresql" else "mariadb")


@pytest.mark.parametrize("recipe", ["wpml", "polylang"])
def test_the_wordpress_recipe_indexes_published_posts_as_readers_see_them(
    wordpress_server, tmp_path, recipe
):
    site = WordPress(wordpress_server, tmp_path, recipe)
    group = 10 if recipe == "wpml" else 7  # the translation group of 10 and its Russian 11
    site.add(post(10), terms=(1, 2, 3, 4), story=group)
    site.add(post(11, post_name="parom"), lang="ru", terms=(1,), story=group)
    site.add(post(12, post_status="draft", post_date_gmt=site.zero_date))
    site.add(post(13, post_status="private"))
    site.add(post(14, post_status="trash"))
    site.add(post(15, post_password="secret"))
    site.add(post(16, post_status="inherit", post_type="revision", post_parent=10))
    site.add(post(17, post_status="inherit", post_type="attachment"))
    site.add(post(18, post_type="page"))
    site.add(post(19, post_title="Older story"), terms=(2,))
    done = site.sync()
    assert "added 3," in done.output and "rejected 0," in done.output, done.output
    indexed = site.indexed()
    assert sorted(indexed) == ["10", "11", "19"]
    story = indexed["10"]
    assert story["title"] == "Ferry story 10 — the port" and story["lead"] == "Fares & routes"
    assert (
        story["body"] == "Two new ferries join the Caspian route & fares fall.\nThe ferry at dawn"
    )
    assert story["lang"] == "en" and story["author"] == "Leyla Aliyeva"
    assert story["category"] == "Economy" and story["tags"] == ["Caspian", "ferries"]
    assert story["url"] == "https://news.example.org/2025/03/ferry-story-10/"
    assert indexed["11"]["url"] == "https://news.example.org/ru/2025/03/parom/"
    assert indexed["11"]["lang"] == "ru" and indexed["11"]["category"] == "Transport"
    assert indexed["10"]["story"] == indexed["11"]["story"] == str(group)

    # Trashed, and another post scheduled two seconds ahead: gone, then published on time.
    site.execute(f"UPDATE wp_posts SET post_status = 'trash', post_modified_gmt = {site.utc_now} "
                 "WHERE ID = 19")  # fmt: skip
    site.add(post(20, post_status="future", post_title="Scheduled ferry story",
                  post_modified_gmt="2025-03-04 10:00:00"))  # fmt: skip
    site.execute(f"UPDATE wp_posts SET post_date_gmt = {site.utc_now} + INTERVAL '2' SECOND "
                 "WHERE ID = 20")  # fmt: skip
    done = site.sync()
    assert "deleted 1," in done.output and "1 stamped after" in done.output, done.output
    assert sorted(site.indexed()) == ["10", "11"]
    time.sleep(2.5)
    # What WordPress's cron does at the time: the status only.
    site.execute("UPDATE wp_posts SET post_status = 'publish' WHERE ID = 20")
    done = site.sync()
    assert "added 1," in done.output, done.output
    assert site.indexed()["20"]["title"] == "Scheduled ferry story"
    # A full pass reads the same articles again: nothing to write.
    full = site.sync("--full")
    assert "added 0, updated 0, deleted 0, rejected 0, unchanged 3" in full.output, full.output
