"""A qualification cycle in a real browser, from candidates to an approved payment roster:
the district opens the 奖扶 cycle, reads each candidate's explanation, confirms, posts the
list, approves after the posting window and builds the roster with its totals."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from renkou.benefits import programmes
from renkou.benefits.models import Cycle, Programme, Roster
from tests.benefits.conftest import build_village

pytestmark = pytest.mark.browser


def test_qualification_cycle_to_an_approved_roster(signed_in, cast, live_server, results_dir):
    programmes.load()  # transactional tests flush the rows the data migration loaded
    build_village(cast)
    jiangfu = Programme.objects.get(code="jiangfu")
    page = signed_in("district_admin")
    page.goto(f"{live_server.url}/benefits/")
    page.locator("#programme-list a", has_text="农村部分计划生育家庭奖励扶助").click()
    expect(page.locator("#programme-rule")).to_contain_text("1933-01-01")
    page.locator("#cycle-year").fill("2025")
    page.locator("#cycle-open").click()
    expect(page.locator("#cycle-status")).to_have_attribute("data-status", "open")
    rows = page.locator("#candidates tbody tr[data-candidate]")
    expect(rows).to_have_count(4)
    first = page.locator("#candidates tr", has_text="甲父")
    expect(first).to_contain_text("年满60周岁")
    expect(first).to_contain_text("2025-12-31时70周岁")
    expect(page.locator("#candidates tr", has_text="乙母")).to_contain_text("政策属性不详")
    page.screenshot(path=str(results_dir / "benefits-candidates.png"), full_page=True)
    page.locator("#confirm-all").click()
    expect(page.locator("#candidates tr[data-state=confirmed]")).to_have_count(4)
    page.locator("#post-cycle").click()  # posting window: today to today
    expect(page.locator("#cycle-status")).to_have_attribute("data-status", "posted")
    page.locator("#approve-cycle").click()
    expect(page.locator("#cycle-status")).to_have_attribute("data-status", "approved")
    page.locator("#roster-unit").select_option(label="锦城区")
    page.locator("#build-roster").click()
    expect(page.locator("#roster-total")).to_contain_text("3840")
    expect(page.locator("#roster-lines tbody tr")).to_have_count(4)
    expect(page.locator("#roster-lines")).to_contain_text("甲母")
    page.screenshot(path=str(results_dir / "benefits-roster.png"), full_page=True)
    cycle = Cycle.objects.get(programme=jiangfu, year=2025)
    assert cycle.status == "approved" and cycle.candidates.filter(state="approved").count() == 4
    assert Roster.objects.get(cycle=cycle).total == 3840
