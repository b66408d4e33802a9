"""The weekly taper check-in (15 answers) takes at most 20 taps, with no auto-advance."""

from __future__ import annotations

import datetime as dt

from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.people.models import Patient, User
from coproduce.platform import clock
from tests.careplans.helpers import oxycodone_plan

SOME, NONE = "LA6569-3", "LA6568-5"


def test_the_weekly_taper_check_in_takes_at_most_20_taps(demo, phone):
    maria = Patient.objects.get(registry_id="CP-DEMOPAT1")
    oxycodone_plan(maria, User.objects.get(username="clinician"), start_on=clock.today())
    invitation = on_demand(
        maria, ["peg", "taper-weekly", "phq9"], now=clock.now() - dt.timedelta(minutes=1)
    )
    page = phone
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        taps += 1
        url, is_answer = page.url, locator.evaluate("e => e.tagName") == "LABEL"
        locator.click()
        if is_answer:
            assert page.url == url  # an answer never moves the page on by itself (WCAG 3.2.2)

    def answer(name: str, value) -> None:
        tap(page.locator(f'label.opt:has(input[name="{name}"][value="{value}"])'))

    def next_page() -> None:
        tap(page.get_by_role("button", name="Next"))
        page.wait_for_load_state("domcontentloaded")

    page.goto(f"/c/{issue_token(invitation, purpose='invitation')}/")
    answers = 0
    for item, value in (("peg-1", 4), ("peg-2", 4), ("peg-3", 3)):
        answer(item, value)
        answers += 1
    next_page()
    answer("taper-comfort", 6)
    answer("taper-satisfaction", "satisfied")
    answers += 2
    next_page()
    for n in range(1, 10):
        answer(f"phq9-{n}", SOME if n < 3 else NONE)
        answers += 1
    next_page()
    answer("phq9-10", "LA6572-7")
    answers += 1
    next_page()
    assert "Check your answers" in page.locator("h1").inner_text()
    tap(page.get_by_role("button", name="Send to my care team"))
    page.wait_for_load_state("domcontentloaded")
    assert "/c/done/" in page.url
    assert answers == 15
    assert taps <= 20, taps
