"""Birth registration in a real browser: from the mother's page to a registered application,
its certificate (PDF) and the public verification page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from renkou.births.models import BirthApplication

pytestmark = pytest.mark.browser


@pytest.fixture
def regimes(transactional_db):
    """A transactional test before this one flushed the tables, the regimes that the first
    migration loaded among them: load them again (idempotent)."""
    from renkou.policy import regimes as regime_files

    regime_files.load()


def test_from_application_to_certificate(regimes, signed_in, families, live_server, results_dir):
    page = signed_in("township_staff")
    page.goto(f"{live_server.url}/persons/{families.mother.pk}/")
    page.locator("#birth-apply-link").click()
    form = page.locator("#birth-form")
    expect(form.locator("input[name=wife]")).to_have_value(str(families.mother.pk))
    expect(form.locator("input[name=husband]")).to_have_value(str(families.father.pk))
    form.locator("input[name=child_order]").fill("3")  # the couple's third child
    form.locator("input[name=contact_name]").fill("李秀英")
    form.locator("button[type=submit]").click()
    expect(page.locator("#birth-state")).to_have_attribute("data-state", "draft")
    expect(page.locator("#birth-evaluation")).to_contain_text("3")
    for code in ("id_card", "hukou_book", "marriage_cert"):
        row = page.locator(f"#birth-checklist tr[data-code={code}]")
        row.locator("button[type=submit]").click()
        expect(page.locator(f"#birth-checklist tr[data-code={code}]")).to_have_attribute(
            "data-received", "true"
        )
    page.locator("#birth-actions form[data-action=submit] button").click()
    expect(page.locator("#birth-state")).to_have_attribute("data-state", "submitted")
    page.locator("#birth-actions form[data-action=register] button").click()
    expect(page.locator("#birth-state")).to_have_attribute("data-state", "registered")
    application = BirthApplication.objects.get()
    expect(page.locator("#birth-number")).to_have_text(application.registration_number)
    expect(page.locator("#birth-transitions tbody tr")).to_have_count(3)
    page.screenshot(path=str(results_dir / "birth-application.png"), full_page=True)

    href = page.locator("#certificate-link").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert application.registration_number.encode() in response.body()

    page.locator("#verify-link").click()
    expect(page.locator("#verify-result")).to_have_attribute("data-valid", "true")
    expect(page.locator("#verify-number")).to_have_text(application.registration_number)
    assert families.mother.id_number not in page.content()
