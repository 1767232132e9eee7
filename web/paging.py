"""Page numbers for long lists: which slice to show and where the neighbouring pages are."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


def page_arg(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    size: int
    total: int | None  # None when only "is there a next page" is known
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.size))


def last_page(total: int, size: int) -> int:
    return max(1, -(-total // size))


def from_probe(items: Sequence[Any], number: int, size: int) -> Page:
    """A page fetched with size + 1 rows: the extra row only says a next page exists."""
    return Page(list(items[:size]), number, size, None, len(items) > size)


def counted(items: Sequence[Any], number: int, size: int, total: int) -> Page:
    """A page fetched with limit and offset when the total is known (so the pager says "page X of Y")."""
    return Page(list(items[:size]), number, size, total, number * size < total)
