"""Maria's own pages on a phone: "My plan" from her home, tap targets of at least 44 px."""

from tests.browser.conftest import check, log_in

MIN = 44


def _size(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["width"], box["height"]


def test_my_plan_is_reached_from_home_and_tap_targets_are_big_enough(demo, phone):
    page = phone
    log_in(page, "patient")
    plan_link = page.get_by_role(
        "link", name="My plan: goals, actions, medicines and taper calendar"
    )
    ask_link = page.get_by_role("link", name="Not doing well? Ask to be seen")
    assert _size(plan_link)[1] >= MIN and _size(ask_link)[1] >= MIN
    check(page, "patient-home")
    # The skip link, once focused by the first Tab, is a full tap target.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    width, height = _size(skip)
    assert width >= MIN and height >= MIN, (width, height)
    plan_link.click()
    page.wait_for_load_state("domcontentloaded")
    assert "/plan/" in page.url
    check(page, "patient-my-plan")

    # A check-in from the portal: the crisis number is a tap-to-call link, 44 px or more.
    page.goto("/checkins/")
    page.locator("form[action*='/start/'] button").first.click()
    page.wait_for_load_state("domcontentloaded")
    tel = page.locator("a[href='tel:112']").first
    width, height = _size(tel)
    assert width >= MIN and height >= MIN, (width, height)
    # The review page's "Change" links.
    action = page.locator("form[action^='/c/']").first.get_attribute("action")
    token_path = "/".join(action.split("/")[:3]) + "/"
    pages = int(page.get_by_text("short pages").inner_text().split(" short pages")[0].split()[-1])
    page.goto(f"{token_path}{pages}/")
    changes = page.locator("a.change")
    assert changes.count() > 0
    for n in range(changes.count()):
        width, height = _size(changes.nth(n))
        assert width >= MIN and height >= MIN, (n, width, height)
    check(page, "patient-review-change-links")
