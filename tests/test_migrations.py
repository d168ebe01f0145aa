"""The schema comes from Alembic migrations, and they agree with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from service.database import db

pytestmark = pytest.mark.long(30)


def _differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context():
        assert _differences() == []


def test_every_table_of_the_models_is_created_by_the_migrations(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert "alembic_version" in tables


def test_migrations_downgrade_to_nothing_and_upgrade_again(app):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=directory)
        assert _differences() == []


def test_two_upgrades_started_at_once_on_postgresql_both_succeed_once(database_url, service_env):
    """Replicas of a release may all run the migration step; the advisory lock serialises
    them, and the later ones find nothing to do."""
    import secrets
    import subprocess
    import sys

    import pytest

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer; the race is a PostgreSQL deployment's")
    base = sa.engine.make_url(database_url)
    name = f"pairwise_race_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        env = {**service_env, "DATABASE_URL": url}
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "service.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0], outputs
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert len(versions) == 1
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
