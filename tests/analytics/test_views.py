"""Dashboard, XLSX exports and the snapshot button: scope (404), permission (403), content."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from renkou.analytics.models import Snapshot

BACKEND = "renkou.core.backends.RoleBackend"
T1, T2 = "510199001000", "510199101000"


@pytest.fixture
def snapshot(known):
    return Snapshot.objects.create(path=str(known.snapshot), counts={"persons": 20})


def get(client, user, name, *args, **params):
    client.force_login(user, backend=BACKEND)
    return client.get(reverse(name, args=args), params)


def chart_data(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def test_district_dashboard(client, cast, snapshot):
    response = get(client, cast.district_admin, "analytics-dashboard", period="2024")
    assert response.status_code == 200
    html = response.content.decode()
    shown = timezone.localtime(snapshot.created_at).strftime("%Y-%m-%d %H:%M")
    assert shown in html  # the snapshot's time
    srb = chart_data(html, "data-srb")
    assert srb["labels"] == ["all", "1", "2", "3+"]
    assert srb["value"][0] == 400.0 and srb["lower"][0] == pytest.approx(44.708257)
    pyramid = chart_data(html, "data-pyramid")
    assert -sum(pyramid["male"]) + sum(pyramid["female"]) == 18
    trend = chart_data(html, "data-trend")
    assert trend["labels"][-1] == "2024" and trend["series"]["births"][-1] == 5
    cards = re.findall(r'data-indicator="([a-z_]+)"', html)
    assert cards[:3] == ["population", "births", "crude_birth_rate"]
    # the unit table lists both townships, linked for drill-down
    assert f"?unit={T1}&amp;period=2024" in html and f"?unit={T2}&amp;period=2024" in html
    assert "邻区" not in html


def test_change_against_previous_period(client, cast, snapshot):
    html = get(client, cast.district_admin, "analytics-dashboard", period="2024").content.decode()
    births_card = html.split('data-indicator="births"')[1].split("</div></div></div>")[0]
    # 2023 had no births (the older births were 2018 and 2020): +5
    assert "+5" in births_card and "2023" in births_card


def test_registrations_card(client, cast, snapshot):
    html = get(client, cast.district_admin, "analytics-dashboard", period="2024").content.decode()
    card = html.split('data-indicator="registrations"')[1].split("</div></div></div>")[0]
    # three registrations issued in 2024 (conftest.add_birth_registrations), none in 2023
    assert '<div class="fs-5">3 ' in card and "+3" in card


def test_township_sees_only_its_subtree(client, cast, snapshot):
    response = get(client, cast.township_staff, "analytics-dashboard", period="2024")
    html = response.content.decode()
    assert response.status_code == 200
    assert "东城街道" in html and "青山镇" not in html
    assert chart_data(html, "data-srb")["value"][0] == 300.0
    for code in (T2, "510199000000", "510198000000"):
        assert get(client, cast.township_staff, "analytics-dashboard", unit=code).status_code == 404
        response = get(client, cast.township_staff, "analytics-export", "units", unit=code)
        assert response.status_code == 404
    # drill down into its own village and group
    assert get(client, cast.township_staff, "analytics-dashboard", unit="510199001001001",
               period="2024").status_code == 200  # fmt: skip


def test_outsider_gets_404_and_feed_account_403(client, cast, snapshot):
    for name, args in (("analytics-dashboard", ()), ("analytics-export", ("indicators",))):
        response = get(client, cast.outsider, name, *args, unit="510199000000")
        assert response.status_code == 404
        assert get(client, cast.feed_account, name, *args).status_code == 403
        assert get(client, cast.auditor, name, *args, period="2024").status_code == 200
    client.logout()
    assert client.get(reverse("analytics-dashboard")).status_code == 302


def test_exports_have_chinese_headers(client, cast, snapshot):
    response = get(client, cast.district_admin, "analytics-export", "units", period="2024")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("单位代码", "单位", "期间")
    assert {row[1] for row in rows[1:]} == {"东城街道", "青山镇"}
    response = get(client, cast.grid_worker, "analytics-export", "indicators", period="2024")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:3] == ("指标代码", "指标", "层级")
    assert {row[4] for row in rows[1:]} == {"东门社区"}  # the grid worker's village only
    assert get(client, cast.district_admin, "analytics-export", "other").status_code == 404


def test_no_snapshot_message_and_build(client, cast, known, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    html = get(client, cast.township_staff, "analytics-dashboard").content.decode()
    assert 'id="no-snapshot"' in html and 'id="build-snapshot"' not in html
    html = get(client, cast.district_staff, "analytics-dashboard").content.decode()
    assert 'id="build-snapshot"' in html
    url = reverse("analytics-build-snapshot")
    client.force_login(cast.township_staff, backend=BACKEND)
    assert client.post(url).status_code == 403
    client.force_login(cast.outsider, backend=BACKEND)
    assert client.post(url).status_code == 302  # an admin elsewhere builds their own snapshot
    Snapshot.objects.all().delete()
    client.force_login(cast.district_admin, backend=BACKEND)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert Snapshot.objects.get().counts["persons"] == 20
    response = get(client, cast.district_admin, "analytics-dashboard", period="2024")
    assert 'id="chart-pyramid"' in response.content.decode()
