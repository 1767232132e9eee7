"""Record numbers (permits, complaints, contracts): one counter row per (prefix, year), never reused."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base


class RecordCounter(Base):
    """The last number handed out for a prefix in a year; only ever incremented."""

    __tablename__ = "record_counter"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


def next_value(session: Session, kind: str, year: int) -> int:
    """value + 1 for (kind, year), creating the row at 1, in one statement inside the caller's transaction.

    The upsert takes the row lock, so concurrent transactions serialise on it and never share a number.
    """
    table = RecordCounter.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).values(kind=kind, year=year, value=1)
            .on_conflict_do_update(index_elements=["kind", "year"], set_={"value": table.c.value + 1})
            .returning(table.c.value))
    return int(session.execute(stmt).scalar_one())
