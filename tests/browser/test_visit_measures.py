"""A clinician counts joints on the diagram and sees DAS28 and CDAI computed by the server."""

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, check, log_in, screenshot

JOINTS = "/patients/CP-DEMOPAT1/measures/joints/"


def test_a_clinician_taps_joints_and_sees_das28_and_cdai(demo, page):
    log_in(page, "clinician")
    page.goto(JOINTS)
    result = page.locator("#measures-result")
    tender = page.locator("[data-set=tender]")
    swollen = page.locator("[data-set=swollen]")
    # Four tender joints tapped on the diagram, three swollen ticked in the list alternative.
    for code in ("R-wrist", "L-wrist", "R-mcp2", "L-knee"):
        tender.locator(f'circle[data-joint="tender-{code}"]').click()
    swollen.get_by_text("List of the 28 joints").click()
    swollen.get_by_label("Wrist, right").check()
    swollen.get_by_label("Wrist, left").check()
    swollen.get_by_label("Finger, middle joint (PIP 3), right").check()
    assert tender.locator("circle.joint.on").count() == 4
    assert page.locator("#tender-L-knee").is_checked()
    page.get_by_label("ESR (mm/h)").fill("30")
    page.get_by_label("CRP (mg/L)").fill("10")
    page.get_by_label("Patient global assessment of disease activity (0-10)").fill("5")
    page.get_by_label("Evaluator global assessment (0-10)").fill("4")
    result.locator("[data-index=cdai] .measure-value").wait_for()
    page.wait_for_function(
        "document.querySelector('[data-index=sdai] .measure-value')?.textContent === '17.0'"
    )
    assert "Tender joints: 4 of 28 · swollen joints: 3 of 28" in result.inner_text()
    assert result.locator("[data-index=das28-esr] .measure-value").inner_text() == "4.69"
    assert result.locator("[data-index=cdai] .measure-value").inner_text() == "16.0"
    assert_accessible(page, "joint count form")
    screenshot(page, "visit-joint-counts")
    page.get_by_role("button", name="Save to the record").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_text("Saved: DAS28-ESR")).to_be_visible()
    expect(page.get_by_role("heading", name="DAS28-ESR").first).to_be_visible()
    check(page, "visit-dashboard-after-joint-counts")


def test_the_hbi_form_scores_on_the_server_and_is_accessible(demo, page):
    log_in(page, "clinician")
    page.goto("/patients/CP-DEMOTEEN/measures/hbi/")
    page.get_by_label("Complication: Uveitis").check()
    page.get_by_label("Number of liquid or soft stools (previous day)").fill("3")
    result = page.locator("#measures-result")
    result.get_by_text("needs every component", exact=False).first.wait_for()
    assert_accessible(page, "HBI form")
    screenshot(page, "visit-hbi-form")


def test_the_pucai_form_scores_on_the_server_and_the_dashboard_shows_it(demo, page):
    log_in(page, "clinician")
    page.goto("/patients/CP-DEMOTEEN/measures/pucai/")

    def choose(question: str, answer: str) -> None:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()

    choose("Abdominal pain", "Pain can be ignored")  # 5
    choose("Rectal bleeding", "None")
    choose("Stool consistency of most stools", "Formed")
    choose("Number of stools per 24 hours", "3-5")  # 5
    choose("Nocturnal stools (any episode causing wakening)", "No")
    choose("Activity level", "No limitation of activity")
    value = page.locator("#measures-result [data-index=pucai] .measure-value")
    expect(value).to_have_text("10")  # the server's own score, 5 + 5
    check(page, "visit-pucai-form")
    page.get_by_role("button", name="Save to the record").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_text("Saved:", exact=False)).to_be_visible()
    card = page.locator("li.score-card", has=page.get_by_role("heading", name="PUCAI"))
    expect(card.locator(".value")).to_have_text("10")
    check(page, "visit-dashboard-after-pucai")
