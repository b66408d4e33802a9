"""Whose language a page is in: the browser's, the switch's, the account's, the patient's."""

from __future__ import annotations

import datetime as dt

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock


def test_the_login_page_follows_the_browsers_language(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert '<html lang="es">' in html and "Iniciar sesión" in html
    assert "Logga in" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Log in" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="fi").content.decode()


def test_urls_carry_no_language_prefix(client, db):
    assert client.get("/es/login/").status_code == 404
    assert client.get("/fhir/R4/metadata", HTTP_ACCEPT_LANGUAGE="es").status_code == 200


def test_the_switch_keeps_an_anonymous_visitors_choice_in_a_cookie(client, db):
    answer = client.post("/language/", {"language": "sv", "next": "/login/"})
    assert answer.status_code == 302 and answer["Location"] == "/login/"
    assert "Logga in" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_the_switch_refuses_to_send_the_visitor_elsewhere(client, db):
    answer = client.post("/language/", {"language": "es", "next": "https://evil.example/"})
    assert answer["Location"] == "/"


def test_every_page_has_the_switch(client, world):
    client.force_login(world.nina)
    html = client.get("/team/patients/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/language/"' in html and '<option value="sv" lang="sv"' in html


def test_staff_choose_their_own_language_and_keep_it(client, world):
    client.force_login(world.nina)
    client.post("/language/", {"language": "sv", "next": "/"})
    world.nina.refresh_from_db()
    assert world.nina.language == "sv"
    other = type(client)()
    other.force_login(world.nina)  # another browser, no cookie, an English browser
    html = other.get("/team/patients/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="sv">' in html and "Logga ut" in html


def test_a_patients_choice_becomes_their_preferred_language(client, world):
    client.force_login(world.alice.user)
    client.post("/language/", {"language": "es", "next": "/"})
    world.alice.refresh_from_db()
    assert world.alice.preferred_language == "es"


def _check_in(patient):
    """A check-in of our own question (in every language): a validated instrument with no
    official Swedish or Spanish text is not asked in them (tests/checkins/test_languages.py)."""
    inv = on_demand(patient, ["withdrawal-nrs"], now=clock.now() - dt.timedelta(minutes=1))
    return inv, issue_token(inv, purpose="invitation")


def test_a_check_in_link_opens_in_the_patients_language_and_stores_it(client, world):
    _, token = _check_in(world.alice)
    world.alice.preferred_language = "sv"
    world.alice.save()
    html = client.get(f"/c/{token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hej Alice" in html and '<html lang="sv">' in html
    client.post(f"/c/{token}/1/", {"withdrawal-nrs": 3, "action": "next"})
    client.post(f"/c/{token}/send/")
    assert CheckinResponse.objects.get().language == "sv"


def test_a_parent_reads_their_childs_check_in_in_their_own_language(client, world):
    _, token = _check_in(world.tom)
    world.tom.preferred_language = "sv"
    world.tom.save()
    world.paula.language = "es"
    world.paula.save()
    client.force_login(world.paula)
    html = client.get(f"/c/{token}/").content.decode()
    assert "Hola, Tom" in html


def test_dates_read_in_each_languages_own_word_order():
    from django.template import Context, Template
    from django.utils import translation

    page = Template(
        '{{ d|date:_("l j F Y") }} | {{ d|date:_("j F") }} | {{ d|date:_("j F Y, H:i") }}'
    )
    leap_day = dt.datetime(2028, 2, 29, 9, 5)
    expected = {
        "en": "Tuesday 29 February 2028 | 29 February | 29 February 2028, 09:05",
        "es": "martes 29 de febrero de 2028 | 29 de febrero | 29 de febrero de 2028, 09:05",
        "sv": "tisdag 29 februari 2028 | 29 februari | 29 februari 2028, 09:05",
    }
    for language, text in expected.items():
        with translation.override(language):
            assert page.render(Context({"d": leap_day})) == text, language


def test_a_spanish_patients_home_gives_the_due_day_in_spanish_word_order(client, world):
    import re

    world.alice.preferred_language = "es"
    world.alice.save(update_fields=["preferred_language"])
    _check_in(world.alice)
    client.force_login(world.alice.user)
    page = client.get("/", follow=True).content.decode()
    months = (
        "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
    )
    assert re.search(rf"\b\d{{1,2}} de ({months})\b", page), page
