"""`scoping.prefix_q`: a prefix as a range each database answers from an ordinary index, with
the LIKE added only where the database's collation could order a range differently."""

from __future__ import annotations

import pytest
from django.db import connection

from renkou.core.models import OrgUnit
from renkou.lib import scoping


def _sql(monkeypatch=None, code_point: bool | None = None) -> str:
    if monkeypatch is not None:
        monkeypatch.setattr(scoping, "_orders_by_code_point", lambda _database: code_point)
    queryset = OrgUnit.objects.filter(scoping.prefix_q("code", "5101"))
    return str(queryset.query).upper()


@pytest.mark.django_db
def test_the_prefix_is_a_half_open_range():
    sql = _sql()
    assert '"CODE" >= 5101' in sql and '"CODE" < 5102' in sql


@pytest.mark.django_db
def test_postgresql_adds_the_like_only_under_a_collation_not_by_code_point(monkeypatch):
    if connection.vendor != "postgresql":
        assert "LIKE" not in _sql(monkeypatch, code_point=False)  # SQLite: never (a scan)
        return
    assert "LIKE" in _sql(monkeypatch, code_point=False)
    assert "LIKE" not in _sql(monkeypatch, code_point=True)


@pytest.mark.django_db
def test_the_collation_is_read_from_the_database(monkeypatch):
    if connection.vendor != "postgresql":
        # SQLite compares text by code point: nothing to ask.
        def never(_database):
            raise AssertionError("asked SQLite for a collation")

        monkeypatch.setattr(scoping, "_orders_by_code_point", never)
        assert "LIKE" not in _sql()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        collation = cursor.fetchone()[0]
    expected = collation in scoping.CODE_POINT_COLLATIONS
    scoping._orders_by_code_point.cache_clear()
    assert scoping._orders_by_code_point(connection.settings_dict["NAME"]) is expected


@pytest.mark.django_db
def test_the_range_finds_exactly_the_prefixed_codes(cast):
    codes = set(OrgUnit.objects.values_list("code", flat=True))
    for prefix in ("5101", "510199001", "9"):
        found = set(
            OrgUnit.objects.filter(scoping.prefix_q("code", prefix)).values_list("code", flat=True)
        )
        assert found == {code for code in codes if code.startswith(prefix)}
