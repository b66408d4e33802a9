"""Pages in the reader's language on a phone: the login page follows the browser, a Spanish
patient at a US site reads her red-flag answer and its crisis lines in Spanish, and a Swedish
patient reads her dashboard in Swedish."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from coproduce.checkins import flow
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock
from tests.browser.conftest import check


def _phone_in(browser, live_server, locale: str):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale=locale,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _log_in(page, username: str) -> None:
    """Log in from an English login page (the browser's language) with the demo password."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("domcontentloaded")


@pytest.mark.parametrize(
    ("locale", "heading", "lang"), [("es-US", "Iniciar sesión", "es"), ("sv-SE", "Logga in", "sv")]
)
def test_the_login_page_follows_the_browsers_language(
    browser, live_server, db, locale, heading, lang
):
    context, page = _phone_in(browser, live_server, locale)
    try:
        page.goto("/login/")
        assert page.locator("h1").inner_text() == heading
        assert page.locator("html").get_attribute("lang") == lang
        check(page, f"login-{lang}")
    finally:
        context.close()


def test_a_spanish_patient_reads_her_red_flag_answer_and_crisis_lines_in_spanish(
    browser, live_server, world
):
    alice = world.alice
    site = alice.care_team.site
    site.country, site.urgent_email = "US", "on-call@example.org"
    site.save()
    inv = on_demand(alice, ["phq9"], now=clock.now() - dt.timedelta(minutes=1))
    alice.preferred_language = "es"
    alice.save()
    answers = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": 2}
    inv.draft = {"answers": {"phq9": answers}, "free_text": ""}
    inv.save(update_fields=["draft"])
    token = issue_token(inv, purpose="invitation")
    review = flow.steps_for(inv)[-1]
    context, page = _phone_in(browser, live_server, "en-US")  # her language, not the browser's
    try:
        page.goto(f"/c/{token}/{review.number}/")
        assert page.locator("h1").inner_text() == "Revise sus respuestas"
        # The live counter writes numbers as Spanish does, on an English phone too.
        page.locator("#free_text").fill("Hola")
        assert (
            page.locator("#free_text-count").inner_text().startswith("4 de 4000 caracteres usados.")
        )
        page.locator("#free_text").fill("")
        page.get_by_role("button", name="Enviar a mi equipo de atención").click()
        page.wait_for_load_state("domcontentloaded")
        crisis = page.locator("section.crisis")
        expect(crisis).to_contain_text("Hay ayuda disponible ahora mismo")
        assert "oprima 2" in crisis.inner_text()
        expect(crisis.locator('a[href="tel:988"]').first).to_be_visible()
        expect(crisis.locator('a[href="tel:911"]').first).to_be_visible()
        reply = page.locator("article.reply").first.inner_text()
        assert "Gracias por contarnos" in reply and "Lo que hará su equipo de atención" in reply
        check(page, "checkin-red-flag-es")
    finally:
        context.close()


def test_a_swedish_patient_reads_her_dashboard_in_swedish(browser, live_server, demo):
    context, page = _phone_in(browser, live_server, "en-GB")
    try:
        _log_in(page, "patient_sv")
        # Her home names her team and program in Swedish (the clinic's names, platform.names).
        page.goto("/")
        expect(page.get_by_text("Reumatologiteamet")).to_be_visible()
        expect(page.get_by_text("Registret för reumatoid artrit")).to_be_visible()
        check(page, "home-sv")
        page.goto("/patients/CP-DEMOPASV/dashboard/")
        assert page.locator("html").get_attribute("lang") == "sv"
        expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
        check(page, "dashboard-sv")
    finally:
        context.close()


def test_paciente_answers_her_weekly_check_in_in_spanish_and_reads_the_reply_in_spanish(
    browser, live_server, demo
):
    """Lucía's weekly check-in is what can be asked in Spanish: our own taper and withdrawal
    questions (the PEG and the PHQ-9 have no official Spanish text in the library, so her
    schedule leaves them out). Severe withdrawal and low comfort with the dose raise her
    team's alerts; the reply, its four parts and who to call now are in Spanish."""
    from coproduce.checkins.models import CheckinResponse
    from coproduce.safetynet.models import Alert

    context, page = _phone_in(browser, live_server, "en-US")  # her language is on her account
    try:
        _log_in(page, "paciente")
        assert page.locator("html").get_attribute("lang") == "es"
        page.get_by_role("button", name="Empezar el cuestionario").first.click()
        page.wait_for_load_state("domcontentloaded")
        seen = []
        for _ in range(6):
            if page.locator("h1").inner_text() == "Revise sus respuestas":
                break
            text = page.locator("main").inner_text()
            seen.append(text)
            assert "988" in page.locator("p.help-now").inner_text()  # who to call, every page
            for name, value in (("taper-comfort", 2), ("taper-satisfaction", "dissatisfied")):
                option = page.locator(f'label.opt:has(input[name="{name}"][value="{value}"])')
                if option.count():
                    option.click()
            option = page.locator('label.opt:has(input[name="withdrawal-nrs"][value="9"])')
            if option.count():
                option.click()
            page.get_by_role("button", name="Siguiente").click()
            page.wait_for_load_state("domcontentloaded")
        asked = "\n".join(seen)
        assert "¿Qué tan cómodo/a se siente con su dosis actual" in asked
        assert "síntomas de abstinencia" in asked
        assert "comfortable" not in asked and "withdrawal" not in asked  # not a word of English
        assert page.locator("span.role").inner_text() == "(Paciente)"  # her role too
        check(page, "checkin-review-es")
        page.get_by_role("button", name="Enviar a mi equipo de atención").click()
        page.wait_for_load_state("domcontentloaded")
        assert "/c/done/" in page.url
        replies = page.locator("article.reply")
        assert replies.count() >= 1
        reply = "\n".join(replies.all_inner_texts())
        assert "Gracias. Nos contó que no se siente cómodo con su dosis actual." in reply
        assert "Lo que puede hacer ahora" in reply and "Lo que hará su equipo de atención" in reply
        help_now = page.locator("p.help-now")
        assert "¿Necesita ayuda ahora?" in help_now.inner_text()
        expect(help_now.locator('a[href="tel:988"]')).to_be_visible()
        check(page, "checkin-reply-es")
    finally:
        context.close()
    response = CheckinResponse.objects.filter(patient__registry_id="CP-DEMOPACI").latest(
        "submitted_at"
    )
    assert response.language == "es"
    assert sorted(response.answers) == ["taper-weekly", "withdrawal-nrs"]
    fired = set(Alert.objects.filter(response=response).values_list("rule_id", flat=True))
    assert {"taper-low-comfort", "taper-withdrawal-severe"} <= fired


def test_a_check_in_with_no_spanish_text_is_not_asked_in_english_unless_she_chooses(
    browser, live_server, world
):
    """Planned before Alice chose Spanish, a PHQ-9 has no official Spanish text: her phone
    says so (never the English questions) and lets her answer in English if she reads it."""
    alice = world.alice
    inv = on_demand(alice, ["phq9"], now=clock.now() - dt.timedelta(minutes=1))
    alice.preferred_language = "es"
    alice.save()
    token = issue_token(inv, purpose="invitation")
    context, page = _phone_in(browser, live_server, "en-US")
    try:
        page.goto(f"/c/{token}/")
        heading = page.get_by_role("heading", name="Estas preguntas no están disponibles")
        expect(heading).to_be_visible()
        assert "Little interest" not in page.locator("main").inner_text()
        check(page, "checkin-not-in-language-es")
        page.get_by_role("button", name="English").click()
        expect(page.get_by_text("Little interest or pleasure in doing things")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
