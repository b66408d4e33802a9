import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe, log_in, screenshot

HOMES = {
    "patient": ("/me/", "Hello, Maria"),
    "teen": ("/me/", "Hello, Leo"),
    "parent": ("/family/", "People you help care for"),
    "nurse": ("/team/patients/", "Patients of"),
    "clinician": ("/team/patients/", "Patients of"),
    "coordinator": ("/research/studies/", "Your studies"),
    "pi": ("/research/studies/", "Your studies"),
    "statistician": ("/research/studies/", "Your studies"),
    "researcher": ("/research/", "Research data"),
    "qi": ("/registry/", "Registry overview"),
    "admin": ("/audit/", "Audit log"),
}


def test_it_lands_each_demo_role_on_its_home_page(demo, page):
    for username, (path, heading) in HOMES.items():
        log_in(page, username)
        assert page.url.endswith(path), f"{username} landed on {page.url}"
        assert heading in page.locator("h1").inner_text()
        violations = axe_violations(page)
        assert not violations, f"{username} home: " + describe(violations)
        screenshot(page, f"home-{username}")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login/")


def test_it_has_an_accessible_login_page_with_clear_errors(demo, phone):
    phone.goto("/login/")
    assert not axe_violations(phone), describe(axe_violations(phone))
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_text("Enter your username.")).to_be_visible()
    log_in(phone, "nurse", "not-the-password")
    assert (
        phone.get_by_role("alert")
        .inner_text()
        .startswith("That username and password do not match")
    )
    violations = axe_violations(phone)
    assert not violations, describe(violations)
    screenshot(phone, "login-error-phone")


def test_it_answers_404_when_a_patient_opens_another_patients_page(demo, page):
    log_in(page, "patient")
    response = page.goto("/patients/CP-DEMOTEEN/")
    assert response is not None and response.status == 404
    response = page.goto("/patients/CP-DEMOPAT1/")
    assert response is not None and response.status == 200  # own page redirects home
    assert page.url.endswith("/me/")


@pytest.mark.parametrize("username", ["parent"])
def test_it_lets_a_parent_open_only_their_children(demo, page, username):
    log_in(page, username)
    page.get_by_role("link", name="Leo Karlsson").click()
    expect(page.locator("h1")).to_have_text("Leo Karlsson")
    response = page.goto("/patients/CP-DEMOPAT1/")
    assert response is not None and response.status == 404
