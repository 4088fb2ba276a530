"""One way to page a list, for the pages and the API alike.

A page is read as `size + 1` rows from `(number - 1) * size`: the extra row says whether
another page follows, without a COUNT(*) over a district's million persons. A page that shows
"page n of m" asks for the count (`count=True`); the API never does.

The page's `?page=` text is read leniently (anything but a small positive number is page 1);
the API declares its bounds in `PageIn` (a bad value is a 422). `lib` imports no app.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from django.conf import settings
from ninja import Field, Schema

# (page - 1) * page_size must fit an SQL OFFSET.
MAX_PAGE = 10**9
API_PAGE_SIZE, API_PAGE_SIZE_MAX = 20, 100


@dataclass(frozen=True)
class Page:
    """One page of rows; the attributes the shared pager template (web/pager.html) reads
    are those of Django's `Page` (number, has_next, previous_page_number, …)."""

    rows: list[Any]
    number: int
    size: int
    has_next: bool
    count: int | None = None  # only when asked for
    query: str = ""  # the page's other query parameters, "a=1&b=2&" (the pager keeps them)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def object_list(self) -> list[Any]:
        return self.rows

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        if self.count is None:
            return None
        return max(math.ceil(self.count / self.size), 1)

    @property
    def paginator(self) -> Page:
        """`page.paginator.num_pages`, as templates written for Django's Page ask."""
        return self

    def meta(self) -> dict[str, Any]:
        """The paging fields of an API answer."""
        return {"page": self.number, "page_size": self.size, "has_next": self.has_next}

    def as_api(self, items: Sequence[Any] | None = None) -> dict[str, Any]:
        """`{"items": …, "page": …, "page_size": …, "has_next": …}`."""
        return {"items": list(self.rows if items is None else items), **self.meta()}


def page_number(text: str | None) -> int:
    """The `?page=` of a page's URL: anything but a positive number is page 1."""
    text = (text or "").strip()
    if not text.isdigit() or len(text) > len(str(MAX_PAGE)):
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def paginate(rows: Any, number: int = 1, size: int | None = None, *, count: bool = False) -> Page:
    """Page `number` (1-based) of `rows` (an ordered queryset, or a list)."""
    size = size or settings.RENKOU_PAGE_SIZE
    number = min(max(number, 1), MAX_PAGE)
    total = None
    if count:
        total = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
        last = max(math.ceil(total / size), 1)
        number = min(number, last)  # past the end: the last page, as Paginator.get_page
    start = (number - 1) * size
    found = list(rows[start : start + size + 1])
    return Page(found[:size], number, size, len(found) > size, total)


def page_of(request: Any, rows: Any, size: int | None = None, *, count: bool = True) -> Page:
    """The page a page's request asks for (`?page=`), counted for "page n of m"; its links
    keep the request's other parameters (the filters)."""
    page = paginate(rows, page_number(request.GET.get("page")), size, count=count)
    others = request.GET.copy()
    others.pop("page", None)
    query = others.urlencode()
    return replace(page, query=f"{query}&" if query else "")


@cache
def page_input(default: int = API_PAGE_SIZE, maximum: int = API_PAGE_SIZE_MAX) -> type[Schema]:
    """The API's paging query parameters, `page` and `page_size` (a bad value is a 422)."""

    class PageIn(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(default, ge=1, le=maximum)

    PageIn.__name__ = PageIn.__qualname__ = f"PageIn{default}to{maximum}"
    return PageIn


PageIn = page_input()


def api_page(rows: Any, paging: Any) -> Page:
    """The page an API call asks for (`paging` is a `page_input()` instance)."""
    return paginate(rows, paging.page, paging.page_size)
