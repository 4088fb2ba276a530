"""The statistics dashboard in a real browser on a small simulated district: the pyramid,
the sex ratio at birth with its intervals and the trend are drawn, with no console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_district(transactional_db, settings, tmp_path):
    from renkou.analytics.actions import make_snapshot
    from renkou.core.demo import DEMO_PASSWORD
    from renkou.demo.district import load_simulated_demo

    settings.DATA_DIR = tmp_path
    load_simulated_demo(persons=2000, seed=11)
    snapshot = make_snapshot(actor=None)
    return snapshot, DEMO_PASSWORD


def test_dashboard_draws_pyramid_and_sex_ratio(demo_district, page, live_server, results_dir):
    snapshot, password = demo_district
    page.goto(live_server.url + "/accounts/login/")
    form = page.locator("#login-form")
    form.locator("input[name=username]").fill("qu_admin")
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/analytics/")
    for chart in ("pyramid", "srb", "trend"):
        canvas = page.locator(f"#chart-{chart} canvas")
        expect(canvas.first).to_be_visible()
        box = canvas.first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
    expect(page.locator("#chart-pyramid")).to_have_attribute("data-drawn", "1")
    expect(page.locator("#indicator-cards [data-indicator=births] .fs-5")).not_to_have_text("—")
    expect(page.locator("#unit-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(results_dir / "analytics-dashboard.png"), full_page=True)
    # drill down to the first unit below, and the charts are drawn again
    page.locator("#unit-table tbody tr a").first.click()
    expect(page.locator("#chart-srb canvas").first).to_be_visible()
    expect(page.locator(".breadcrumb")).to_contain_text(
        page.locator(".breadcrumb a").first.inner_text()
    )
