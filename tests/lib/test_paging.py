"""lib.paging: one page reader for the pages and the API."""

from __future__ import annotations

import pytest

from renkou.lib.paging import MAX_PAGE, page_number, paginate


@pytest.mark.parametrize(
    ("text", "number"),
    [(None, 1), ("", 1), ("0", 1), ("-2", 1), ("x", 1), ("3", 3), (" 4 ", 4), ("9" * 30, 1),
     (str(MAX_PAGE), MAX_PAGE)],
)  # fmt: skip
def test_page_number_reads_leniently(text, number):
    assert page_number(text) == number


def test_paging_a_list():
    rows = list(range(7))
    first = paginate(rows, 1, 3)
    assert first.rows == [0, 1, 2] and first.has_next and not first.has_previous
    assert first.meta() == {"page": 1, "page_size": 3, "has_next": True}
    last = paginate(rows, 3, 3, count=True)
    assert last.rows == [6] and not last.has_next and last.has_other_pages()
    assert last.paginator.num_pages == 3 and last.previous_page_number() == 2
    assert paginate(rows, 99, 3, count=True).number == 3  # past the end: the last page
    assert paginate(rows, 99, 3).rows == []  # uncounted: an empty page
    assert paginate([], 1, 3, count=True).num_pages == 1


def test_a_page_of_a_request_keeps_its_filters(rf):
    from renkou.lib.paging import page_of

    page = page_of(rf.get("/benefits/cases/", {"status": "all", "kind": "x", "page": "2"}),
                   list(range(5)), 2)  # fmt: skip
    assert page.number == 2 and page.rows == [2, 3] and page.count == 5
    assert page.query == "status=all&kind=x&"
    assert page_of(rf.get("/"), [], 2).query == ""
