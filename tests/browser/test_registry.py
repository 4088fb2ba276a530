"""The registry in a real browser: find the mother, record a birth from her page, and see
the child in the family panel with its birth order."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from renkou.registry.models import Person

pytestmark = pytest.mark.browser


def test_record_a_birth_from_the_mothers_page(signed_in, families, live_server, results_dir):
    page = signed_in("grid_worker")
    page.goto(live_server.url + "/persons/")
    page.locator("#person-q").fill("lxy")
    result = page.locator("#person-results a", has_text="李秀英")
    result.wait_for()
    result.click()
    expect(page.locator("#person-name")).to_contain_text("李秀英")
    expect(page.locator("#family-panel")).to_contain_text("王娜")
    page.locator("#event-buttons [data-event-kind=birth]").click()
    form = page.locator("#registry-form")
    form.locator("input[name=date]").fill("1999-09-09")
    form.locator("select[name=sex]").select_option("M")
    form.locator("input[name=name]").fill("王小龙")
    form.locator("select[name=father]").select_option(label="王建国")
    form.locator("button[type=submit]").click()
    expect(page.locator("#person-name")).to_contain_text("李秀英")
    child_row = page.locator("#family-panel tr.family-child", has_text="王小龙")
    expect(child_row).to_be_visible()
    expect(child_row).to_contain_text("4")  # her fourth child (twins were 2 and 3)
    page.screenshot(path=str(results_dir / "person-page.png"), full_page=True)
    child = Person.objects.get(name="王小龙")
    assert (child.birth_order_mother, child.parity_mother) == (4, 3)


def test_a_refused_birth_names_the_field(signed_in, families, live_server):
    page = signed_in("grid_worker")
    page.goto(f"{live_server.url}/persons/{families.mother.pk}/events/birth/")
    form = page.locator("#registry-form")
    form.locator("input[name=date]").fill("2030-01-01")
    form.locator("select[name=sex]").select_option("F")
    form.locator("button[type=submit]").click()
    expect(page.locator(".field-error[data-field=date]")).to_be_visible()
    assert not Person.objects.filter(birth_date__year=2030).exists()
