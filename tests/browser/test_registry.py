"""Registry pages in chromium: a QI lead's measures, SPC and funnel pages; a nurse's list."""

import datetime as dt

from playwright.sync_api import expect

from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.registry.models import PdsaAnnotation
from coproduce.registry.synth import generate
from tests.browser.conftest import SCREENSHOTS, check, log_in


def synthetic_network():
    generate(sites=4, patients=240, weeks=60, seed=3)
    qi = User.objects.get(username="qi")
    PdsaAnnotation.objects.create(
        measure_id="checkin-completion",
        on=clock.today() - dt.timedelta(days=200),
        title="Text reminder on the due day",
        new_phase=True,
        author=qi,
    )


def test_it_shows_a_qi_lead_measures_spc_and_funnel(demo, page):
    synthetic_network()
    log_in(page, "qi")
    page.goto("/registry/measures/")
    check(page, "registry-measures")
    page.get_by_role("link", name="Check-ins completed", exact=True).click()
    page.wait_for_url("**/registry/measures/*/")
    expect(page.locator("figure.chart svg").nth(1)).to_be_attached()
    # Drawn by the one chart module: named, described, the change tested a dot of its own.
    first = page.locator("figure.chart svg").first
    assert first.locator("title").first.text_content().endswith(": control chart")
    assert "outside the control limits" in first.locator("desc").text_content()
    assert page.locator("svg circle title", has_text="Text reminder on the due day").count() >= 1
    expect(page.get_by_role("cell", name="Text reminder on the due day")).to_be_visible()
    check(page, "registry-spc")
    page.goto("/registry/measures/checkin-completion/funnel/")
    assert page.locator("figure.chart svg").count() == 1
    check(page, "registry-funnel")


def test_it_fits_the_spc_page_on_a_phone(demo, phone):
    synthetic_network()
    log_in(phone, "qi")
    phone.goto("/registry/measures/checkin-completion/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    check(phone, "registry-spc-phone")
    phone.locator("section.card").first.screenshot(
        path=str(SCREENSHOTS / "registry-spc-phone-network.png")
    )


def test_it_shows_a_nurse_the_population_list(demo, page):
    log_in(page, "nurse")
    page.goto("/registry/population/")
    expect(page.get_by_role("heading", name="Population list")).to_be_visible()
    check(page, "registry-population")
