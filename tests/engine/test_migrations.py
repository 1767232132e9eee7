"""The Alembic migrations build exactly the schema the models describe, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import engine.records  # noqa: F401 - business tables register on the same metadata
from engine.db import make_engine, upgrade
from engine.models import Base


def test_migrations_match_models(database_url):
    sa_engine = make_engine(database_url)
    upgrade(sa_engine)
    with sa_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    sa_engine.dispose()
    assert diff == []
