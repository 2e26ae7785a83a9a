"""The backup and restore documented in the README's Operations section, end to end on
PostgreSQL: a migrated database with a small catalogue, `pg_dump --format=custom`, then
`pg_restore` into an empty database, which must hold the same public catalogue, the same
rows and the same sequence positions (or the next insert would collide with a restored
row)."""

import filecmp
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from tests.conftest import FixtureTree
from tests.linkcheck.conftest import manage

pytestmark = pytest.mark.postgres


@pytest.fixture
def databases() -> Iterator[tuple[str, str, dict[str, str]]]:
    """Two new databases (source, restored) and the environment to reach PostgreSQL."""
    params = connection.settings_dict
    host, port = params["HOST"] or "127.0.0.1", str(params["PORT"] or 5432)
    user = params["USER"] or "postgres"
    admin_url = f"postgresql://{user}@{host}:{port}/postgres"
    suffix = uuid.uuid4().hex[:8]
    names = (f"kfs_k8s_backup_{suffix}", f"kfs_k8s_restore_{suffix}")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(PGHOST=host, PGPORT=port, PGUSER=user)
    if params["PASSWORD"]:
        env["PGPASSWORD"] = str(params["PASSWORD"])
    yield names[0], names[1], env
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{command[0]}: {result.stderr}"


def tables_and_sequences(env: dict[str, str], database: str) -> dict[str, int]:
    """Rows per table and last value per sequence, in the public schema."""
    with psycopg.connect(dbname=database, host=env["PGHOST"], port=env["PGPORT"]) as db:
        tables = [
            row[0]
            for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        count = sql.SQL("SELECT count(*) FROM {}")
        counts = {
            table: db.execute(count.format(sql.Identifier(table))).fetchone()[0]  # type: ignore[index]
            for table in tables
        }
        for sequence, last in db.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            counts[f"sequence {sequence}"] = last
    return counts


def test_pg_dump_and_pg_restore_keep_the_catalogue(
    databases: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed (Debian: postgresql-client)")
    source, restored, env = databases
    base_url = f"postgres://{env['PGUSER']}@{env['PGHOST']}:{env['PGPORT']}"
    tree = FixtureTree(tmp_path / "fixtures")
    for year, organization in ((2019, "Example Corp"), (2021, "Sample Ltd"), (2023, "Demo Inc")):
        tree.story(
            f"{year}-{organization.lower().replace(' ', '-')}-coredns-oom.md",
            **{
                "date: 2019-01-15": f"date: {year}-01-15",
                "Example Corp": organization,
                "example.org/postmortem": f"example.org/{year}/postmortem",
            },
        )
    source_env = {
        **env,
        "DATABASE_URL": f"{base_url}/{source}",
        "STORIES_FIXTURES_DIR": str(tree.root),
    }
    for command in (("migrate", "--no-input", "-v0"), ("import_stories", "-v0")):
        result = manage(*command, env=source_env, timeout=180)
        assert result.returncode == 0, result.stderr

    dump = tmp_path / "stories.dump"
    run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source], env)
    run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)], env)

    exports = {}
    for name in (source, restored):
        exports[name] = tmp_path / f"export-{name}"
        result = manage(
            "export_stories", "--out", str(exports[name]),
            env={**source_env, "DATABASE_URL": f"{base_url}/{name}"},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    exported = sorted(path.name for path in exports[source].iterdir())
    assert len(exported) == 3
    _, mismatch, errors = filecmp.cmpfiles(
        exports[source], exports[restored], exported, shallow=False
    )
    assert (mismatch, errors) == ([], [])

    before = tables_and_sequences(env, source)
    assert before["catalog_story"] == 3
    assert tables_and_sequences(env, restored) == before
