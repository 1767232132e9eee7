"""Keyset pages: a list in the order of several columns continues right after (or right before) one of its
rows, named by its id, so the hundredth page costs what the first costs. The columns of an order end with
the row's id, so every row has a place of its own; all of them run one way (ascending or descending)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import Select, func, select, tuple_


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list: `items`; whether rows come after it (`has_next`) or before it (`has_prev`);
    `start`, the 1-based place of its first row in the whole list, and `total` where they were counted."""
    items: list[Any]
    has_next: bool
    has_prev: bool
    start: int = 1
    total: int | None = None

    @property
    def first_id(self) -> int | None:
        return self.items[0].id if self.items else None

    @property
    def last_id(self) -> int | None:
        return self.items[-1].id if self.items else None


def anchor_key(session, id_column, order: Sequence[Any], anchor_id: int) -> tuple | None:
    """The order's values for the row with `anchor_id` (None when that row is gone)."""
    row = session.execute(select(*order).where(id_column == anchor_id)).first()
    return None if row is None else tuple(row)


def beyond(stmt: Select, order: Sequence[Any], key: tuple, forward: bool, descending: bool) -> Select:
    """`stmt` limited to the rows after `key` in the list's order (`forward`), or before it."""
    later = tuple_(*order) < tuple_(*key) if descending else tuple_(*order) > tuple_(*key)
    earlier = tuple_(*order) > tuple_(*key) if descending else tuple_(*order) < tuple_(*key)
    return stmt.where(later if forward else earlier)


def ordered(stmt: Select, order: Sequence[Any], descending: bool, backwards: bool) -> Select:
    """`stmt` in the list's order, or reversed (to read the rows just before an anchor)."""
    down = descending != backwards
    return stmt.order_by(*(column.desc() if down else column.asc() for column in order))


def read_page(session, stmt: Select, id_column, order: Sequence[Any], size: int, after: int | None = None,
              before: int | None = None, descending: bool = False, count: bool = True,
              convert=lambda row: row) -> KeysetPage:
    """One page of `stmt` (which selects whole rows) in `order`: the first, the one after row `after`, or
    the one before row `before`. With `count`, the total and the page's place are counted too."""
    anchor_id = after if after is not None else before
    key = anchor_key(session, id_column, order, anchor_id) if anchor_id is not None else None
    if anchor_id is not None and key is None:
        anchor_id = after = before = None  # the anchor is gone (completed, deleted): start over
    backwards = before is not None
    page_stmt = stmt if key is None else beyond(stmt, order, key, forward=not backwards, descending=descending)
    rows = list(session.scalars(ordered(page_stmt, order, descending, backwards).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    items = [convert(r) for r in rows]
    has_next, has_prev = (True, more) if backwards else (more, anchor_id is not None)
    total, start = None, 1
    if count:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        if rows and anchor_id is not None:
            first = tuple(session.execute(select(*order).where(id_column == rows[0].id)).first())
            start = 1 + (session.scalar(select(func.count()).select_from(
                beyond(stmt, order, first, forward=False, descending=descending).subquery())) or 0)
    return KeysetPage(items, has_next, has_prev, start, total)
