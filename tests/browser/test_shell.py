"""The web shell in a real browser: sign-in, dashboard chart, org tree, unit picker, language
switch, the logged reveal of an ID number and the new-unit form."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from renkou.core.models import AccessLog, OrgUnit

pytestmark = pytest.mark.browser

DISTRICT = "510199000000"  # 锦城区
TOWNSHIP = "510199001000"  # 东城街道
TOWNSHIP2 = "510199101000"  # 青山镇
VILLAGE = "510199001001"  # 东门社区
VILLAGE3 = "510199101201"  # 青山村
BUILDING = "510199001001001"  # 东门社区1栋
BUILDING2 = "510199001001002"  # 东门社区2栋
OTHER_DISTRICT = "510198000000"  # 邻区

# True once the chart has `n` bars (the app's bar colour) and none is still flat.
BARS_DRAWN = """n => {
  const bars = Array.from(document.querySelectorAll("[data-chart-source] svg path"))
    .filter(p => (p.getAttribute("fill") || "").toLowerCase() === "#8b1a1a");
  return bars.length === n && bars.every(p => p.getBBox().height > 20);
}"""


def tree_codes(page) -> list[str]:
    rows = page.locator("#unit-tree tbody tr[data-unit-code]")
    rows.first.wait_for()
    return rows.evaluate_all("rows => rows.map(r => r.dataset.unitCode)")


# --- (a) sign-in and dashboard ----------------------------------------------------------------


def test_sign_in_shows_dashboard_with_chart(signed_in, results_dir):
    page = signed_in("district_admin")
    expect(page.locator("#current-user")).to_contain_text("District Admin")
    chart = page.locator("[data-chart-source]")
    expect(chart.locator("svg").first).to_be_visible()
    assert chart.get_attribute("data-drawn") == "1"
    kinds = page.locator("#units-by-kind tr")
    expect(kinds).not_to_have_count(0)
    # One bar per kind, grown to full height (ECharts animates them up from zero).
    page.wait_for_function(BARS_DRAWN, arg=kinds.count())
    page.screenshot(path=str(results_dir / "dashboard.png"), full_page=True)


def test_wrong_password_stays_on_login(transactional_db, live_server, cast, page):
    login_url = live_server.url + "/accounts/login/"
    page.goto(login_url)
    form = page.locator("#login-form")
    form.locator("input[name=username]").fill("district_admin")
    form.locator("input[name=password]").fill("Not-the-passw0rd")
    form.locator("button[type=submit]").click()
    expect(form.locator(".alert-danger")).to_be_visible()
    assert page.url == login_url
    expect(page.locator("[data-chart-source]")).to_have_count(0)
    expect(page.locator("#current-user")).to_have_count(0)


# --- (b), (c) the org tree --------------------------------------------------------------------


def test_tree_lists_own_district_only_and_opens_a_unit(signed_in, live_server, results_dir):
    page = signed_in("district_admin")
    page.goto(live_server.url + "/units/")
    codes = tree_codes(page)
    assert codes[0] == DISTRICT
    assert {TOWNSHIP, VILLAGE, BUILDING} <= set(codes)
    assert OTHER_DISTRICT not in codes
    assert not any(code.startswith("510198") for code in codes)
    tree = page.locator("#unit-tree")
    for name in ("东城街道", "东门社区", "东门社区1栋"):
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(tree).not_to_contain_text("邻区")
    page.screenshot(path=str(results_dir / "unit-tree.png"), full_page=True)

    tree.locator(f'tr[data-unit-code="{VILLAGE}"] a').click()
    expect(page.locator("#unit-name")).to_contain_text("东门社区")
    assert page.url == f"{live_server.url}/units/{OrgUnit.objects.get(code=VILLAGE).pk}/"


def test_grid_worker_sees_only_own_community(signed_in, live_server):
    page = signed_in("grid_worker")
    page.goto(live_server.url + "/units/")
    assert tree_codes(page) == [VILLAGE, BUILDING, BUILDING2]
    expect(page.locator("#unit-tree")).not_to_contain_text("东城街道")


# --- (d) the unit picker ----------------------------------------------------------------------


def test_unit_picker_switches_current_unit(signed_in, live_server):
    page = signed_in("district_admin")
    page.locator("#unit-picker-button").click()
    search = page.locator("#unit-picker-search")
    expect(search).to_be_visible()
    options = page.locator("#unit-picker-options .unit-option")
    expect(options.first).to_be_visible()  # the unfiltered list loads with the page

    with page.expect_response(
        lambda r: "/units/pick/" in r.url and "q=青山" in unquote(r.url)
    ) as response:
        search.fill("青山")
    assert response.value.ok
    expect(options.filter(has_text="东门社区")).to_have_count(0)  # the filtered list is in
    expect(options).not_to_have_count(0)
    page.locator(f'#unit-picker-options .unit-option[data-unit-code="{TOWNSHIP2}"]').click()
    page.wait_for_url(live_server.url + "/")
    expect(page.locator("#unit-picker-button")).to_contain_text("青山镇")

    page.goto(live_server.url + "/units/")
    codes = tree_codes(page)
    assert codes[0] == TOWNSHIP2
    assert VILLAGE3 in codes
    assert VILLAGE not in codes
    assert DISTRICT not in codes


# --- (e) language switch ----------------------------------------------------------------------


def test_language_switch_round_trip(signed_in, live_server):
    page = signed_in("district_admin")
    html = page.locator("html")
    units_link = page.locator('#nav-main a.nav-link[href="/units/"]')
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(units_link).to_have_text("组织机构")  # needs the zh-hans catalogue in renkou/locale

    page.locator('#language-switch button[value="en"]').click()
    expect(html).to_have_attribute("lang", "en")
    expect(units_link).to_have_text("Org units")
    assert page.url == live_server.url + "/"

    page.locator('#language-switch button[value="zh-hans"]').click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(units_link).to_have_text("组织机构")


# --- (f) logged reveal of an ID number ----------------------------------------------------------


def test_reveal_id_number_is_logged(signed_in, live_server, cast):
    worker = cast.grid_worker
    page = signed_in("district_admin")
    page.goto(f"{live_server.url}/staff/{worker.pk}/")
    number = page.locator("#staff-id-number")
    expect(number).to_contain_text("110105************")
    expect(number).not_to_contain_text("11010519491231002X")
    assert not AccessLog.objects.exists()

    with page.expect_response(lambda r: r.url.endswith(f"/staff/{worker.pk}/reveal/")) as resp:
        page.locator("#reveal-id").click()
    assert resp.value.ok
    expect(number.locator(".id-revealed")).to_have_text("11010519491231002X")
    expect(page.locator("#reveal-id")).to_have_count(0)  # swapped out with the masked value

    log = AccessLog.objects.get()
    assert log.user_id == cast.district_admin.pk
    assert log.object_id == str(worker.pk)
    assert log.field == "id_number"


# --- (g) new unit through the form ----------------------------------------------------------


def _open_new_unit_form(page, live_server, parent: OrgUnit) -> None:
    page.goto(f"{live_server.url}/units/{parent.pk}/")
    expect(page.locator("#unit-name")).to_contain_text(parent.name)
    page.locator(f'a[href="/units/{parent.pk}/new/"]').click()
    page.wait_for_url(f"{live_server.url}/units/{parent.pk}/new/")


def test_create_unit_through_form(signed_in, live_server, cast):
    page = signed_in("district_admin")
    parent = cast.unit("village")
    _open_new_unit_form(page, live_server, parent)
    form = page.locator("#unit-form")
    form.locator("#id_code").fill("510199001001003")
    form.locator("#id_name").fill("东门社区3栋")
    form.locator("#id_kind").select_option("building")
    form.locator("button[type=submit]").click()

    expect(page.locator("#unit-name")).to_contain_text("东门社区3栋")
    created = OrgUnit.objects.get(code="510199001001003")
    assert page.url == f"{live_server.url}/units/{created.pk}/"
    assert created.parent_id == parent.pk
    assert created.kind == "building"
    assert created.name == "东门社区3栋"


def test_create_unit_with_bad_code_shows_field_error(signed_in, live_server, cast):
    page = signed_in("district_admin")
    parent = cast.unit("village")
    before = OrgUnit.objects.count()
    _open_new_unit_form(page, live_server, parent)
    form = page.locator("#unit-form")
    form.locator("#id_code").fill("123")
    form.locator("#id_name").fill("东门社区3栋")
    form.locator("#id_kind").select_option("building")
    form.locator("button[type=submit]").click()

    error = form.locator('.field-error[data-field="code"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("123")
    expect(form.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    assert page.url == f"{live_server.url}/units/{parent.pk}/new/"
    assert OrgUnit.objects.count() == before
    assert not OrgUnit.objects.filter(name="东门社区3栋").exists()
