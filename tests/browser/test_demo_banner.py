"""The demo's banner ("invented people and data only") sits in a landmark: axe's "region"
rule found it outside every landmark on each page of the demo (test mode shows no banner)."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe, log_in


def test_the_demo_banner_is_a_labelled_landmark_on_the_patients_phone(demo, phone, settings):
    settings.MODE = "demo"
    log_in(phone, "paciente")
    banner = phone.get_by_role("complementary", name="Sobre este sistema")
    expect(banner).to_contain_text("Sistema de demostración")
    violations = axe_violations(phone)
    assert violations == [], describe(violations)
