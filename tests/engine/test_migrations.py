"""The Alembic migrations build exactly the schema the models describe, on both databases; the
procedures' tables come with their own branch, also onto a database made before that branch existed."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from engine.storage.db import make_engine, upgrade
from engine.storage.models import Base
from procedures import COMPANY


def _diff(sa_engine, *metadatas) -> list:
    combined = MetaData()
    for metadata in metadatas:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    with sa_engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), combined)


def test_engine_migrations_match_its_models_without_any_procedure(database_url):
    sa_engine = make_engine(database_url)
    upgrade(sa_engine)
    assert _diff(sa_engine, Base.metadata) == []
    assert not {"tour", "complaint", "customer", "contract"} & set(inspect(sa_engine).get_table_names())
    sa_engine.dispose()


def test_with_the_procedures_every_model_has_its_table(database_url):
    sa_engine = make_engine(database_url)
    upgrade(sa_engine, (COMPANY,))
    assert _diff(sa_engine, Base.metadata, COMPANY.metadata) == []
    upgrade(sa_engine, (COMPANY,))  # a second upgrade finds nothing to do
    sa_engine.dispose()
