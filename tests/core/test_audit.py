"""Reveals of masked ID numbers are logged, and the audit page shows who did what, in scope."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from renkou.core import actions
from renkou.core.models import AccessLog

FULL_ID = "11010519491231002X"
MASKED_ID = "110105************"  # region only (docs/privacy.md)


class _Table(HTMLParser):
    """Header names and the cell texts of each body row of the table with a given id."""

    def __init__(self, table_id: str):
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._depth = 0  # >0 while inside the wanted table
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            if self._depth:
                self._depth += 1
            elif dict(attrs).get("id") == self.table_id:
                self._depth = 1
        elif self._depth == 1:
            if tag in {"thead", "tbody"}:
                self._section = tag
            elif tag == "tr" and self._section == "tbody":
                self.rows.append([])
            elif tag in {"td", "th"}:
                self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1
        elif self._depth == 1:
            if tag in {"thead", "tbody"}:
                self._section = ""
            elif tag in {"td", "th"} and self._cell is not None:
                text = " ".join("".join(self._cell).split())
                if self._section == "thead":
                    self.headers.append(text)
                elif self._section == "tbody":
                    self.rows[-1].append(text)
                self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(response, table_id: str) -> list[dict[str, str]]:
    """Body rows of a table as {header: cell} (pages requested in English), without the
    single placeholder row of an empty table."""
    assert response.status_code == 200
    parser = _Table(table_id)
    parser.feed(response.content.decode())
    parser.close()
    assert parser.headers, f"no table #{table_id}"
    return [dict(zip(parser.headers, row, strict=True)) for row in parser.rows if len(row) > 1]


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend="renkou.core.backends.RoleBackend")
    return client


def _reveal(client: Client, staff, reason: str = "核对身份"):
    return client.post(f"/staff/{staff.pk}/reveal/", {"reason": reason})


# --- reveal -----------------------------------------------------------------------------------


def test_reveal_shows_the_number_and_writes_the_access_log(cast):
    admin = _client(cast.district_admin)
    response = _reveal(admin, cast.grid_worker)
    assert response.status_code == 200
    assert FULL_ID in response.content.decode()
    assert response["Cache-Control"] == "no-store"

    log = AccessLog.objects.get()
    assert log.user == cast.district_admin
    assert log.field == "id_number"
    assert log.action == "reveal"
    assert log.model == "core.User"
    assert log.object_id == str(cast.grid_worker.pk)
    assert log.unit == cast.units["village"]
    assert log.reason == "核对身份"
    assert log.ip_address == "127.0.0.1"

    _reveal(admin, cast.grid_worker)
    assert AccessLog.objects.count() == 2  # every reveal, not just the first


def test_staff_pages_show_only_the_masked_number(cast):
    admin = _client(cast.district_admin)
    for path in (f"/staff/{cast.grid_worker.pk}/", "/staff/", "/audit/", "/"):
        html = admin.get(path).content.decode()
        assert FULL_ID not in html, path
    html = admin.get(f"/staff/{cast.grid_worker.pk}/").content.decode()
    assert MASKED_ID in html
    assert f"/staff/{cast.grid_worker.pk}/reveal/" in html

    # After a reveal the page is still masked; the number never lands in the audit page.
    _reveal(admin, cast.grid_worker)
    for path in (f"/staff/{cast.grid_worker.pk}/", "/audit/"):
        assert FULL_ID not in admin.get(path).content.decode(), path


def test_staff_page_without_reveal_permission_has_no_reveal_button(cast):
    html = _client(cast.auditor).get(f"/staff/{cast.grid_worker.pk}/").content.decode()
    assert MASKED_ID in html
    assert FULL_ID not in html
    assert "/reveal/" not in html


@pytest.mark.parametrize("role", ["auditor", "grid_worker"])
def test_reveal_without_permission_is_forbidden_and_not_logged(cast, role):
    response = _reveal(_client(cast.users[role]), cast.grid_worker)
    assert response.status_code == 403
    assert FULL_ID not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_reveal_out_of_scope_is_not_found_and_not_logged(cast):
    response = _reveal(_client(cast.outsider), cast.grid_worker)
    assert response.status_code == 404
    assert FULL_ID not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_reveal_needs_post(cast):
    response = _client(cast.district_admin).get(f"/staff/{cast.grid_worker.pk}/reveal/")
    assert response.status_code == 405
    assert FULL_ID not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_reveal_needs_a_signed_in_user(cast):
    response = _reveal(Client(), cast.grid_worker)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not AccessLog.objects.exists()


def test_the_api_does_not_expose_id_numbers(cast, login):
    client = login(cast.district_admin)
    for path in ("/api/v1/me", "/api/v1/units"):
        assert FULL_ID not in client.get(path).content.decode(), path


# --- audit page -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("district_admin", 200),
        ("auditor", 200),
        ("township_staff", 403),
        ("district_staff", 403),
        ("grid_worker", 403),
    ],
)
def test_who_may_open_the_audit_page(cast, role, status):
    assert _client(cast.users[role]).get("/audit/").status_code == status


def test_audit_page_lists_the_reveal(cast):
    _reveal(_client(cast.district_admin), cast.grid_worker, reason="户籍核查")
    for viewer in ("district_admin", "auditor"):
        rows = _rows(_client(cast.users[viewer]).get("/audit/"), "audit-reveals")
        assert len(rows) == 1, viewer
        row = rows[0]
        assert row["Staff"] == cast.district_admin.display_name
        assert str(cast.grid_worker.pk) in row["Record"]
        assert row["Field"] == "id_number"
        assert row["Unit"] == "东门社区"
        assert row["Reason"] == "户籍核查"
        assert row["Time"].startswith(timezone.localdate().isoformat())


def test_audit_filters_narrow_the_reveals(cast):
    _reveal(_client(cast.district_admin), cast.grid_worker)
    auditor = _client(cast.auditor)
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)

    def reveals(**query):
        return _rows(auditor.get("/audit/", query), "audit-reveals")

    assert len(reveals()) == 1
    assert len(reveals(user=cast.district_admin.pk)) == 1
    assert reveals(user=cast.auditor.pk) == []
    assert len(reveals(since=today.isoformat(), until=today.isoformat())) == 1
    assert reveals(since=yesterday.isoformat(), until=yesterday.isoformat()) == []
    assert reveals(until=yesterday.isoformat()) == []
    assert reveals(since=(today + datetime.timedelta(days=1)).isoformat()) == []
    assert len(reveals(unit=cast.units["township"].pk)) == 1
    assert reveals(unit=cast.units["township2"].pk) == []


def test_audit_page_shows_actor_and_reason_of_changes(cast):
    actions.rename_unit(
        actor=cast.district_admin, unit=cast.unit("village"), name="东门新社区", reason="测试原因"
    )
    auditor = _client(cast.auditor)
    rows = _rows(auditor.get("/audit/"), "audit-changes")
    renames = [row for row in rows if row["Reason"] == "测试原因"]
    assert len(renames) == 1, rows
    assert renames[0]["Staff"] == cast.district_admin.display_name
    assert "东门新社区" in renames[0]["Record"]

    by_admin = _rows(auditor.get("/audit/", {"user": cast.district_admin.pk}), "audit-changes")
    assert [row["Reason"] for row in by_admin] == ["测试原因"]
    by_auditor = _rows(auditor.get("/audit/", {"user": cast.auditor.pk}), "audit-changes")
    assert by_auditor == []
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    old = _rows(auditor.get("/audit/", {"since": yesterday, "until": yesterday}), "audit-changes")
    assert old == []


def test_outsiders_audit_page_does_not_show_the_district(cast):
    _reveal(_client(cast.district_admin), cast.grid_worker)
    actions.rename_unit(
        actor=cast.district_admin, unit=cast.unit("village"), name="东门新社区", reason="测试原因"
    )
    outsider = _client(cast.outsider)
    response = outsider.get("/audit/")
    assert response.status_code == 200
    assert _rows(response, "audit-reveals") == []
    html = response.content.decode()
    assert "测试原因" not in html
    assert "东门新社区" not in html
    assert cast.district_admin.display_name not in html
    # Filtering by the district's admin or unit does not open the district either.
    filtered = outsider.get("/audit/", {"user": cast.district_admin.pk})
    assert _rows(filtered, "audit-reveals") == []
    assert "测试原因" not in filtered.content.decode()
    assert outsider.get("/audit/", {"unit": cast.units["village"].pk}).status_code == 404
