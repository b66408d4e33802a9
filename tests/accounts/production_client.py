"""Run by test_production_mode.py in a production-mode process: prints what a client saw."""

import json

import django

django.setup()

from django.test import Client  # noqa: E402

from coproduce.people.models import Role  # noqa: E402
from tests import factories  # noqa: E402

site = factories.make_site("North Clinic")
team = factories.make_team(site, "Pain team")
patient = factories.make_patient(team, given_name="Alice")
nurse = factories.make_user(Role.NURSE, username="nina", teams=[team])
nurse.set_password("a long production password 42")
nurse.save()

client = Client(headers={"X-Forwarded-Proto": "https", "Host": "care.example.org"})
login_page = client.get("/login/")
login = client.post("/login/", {"username": "nina", "password": "a long production password 42"})
seen = {
    "login_status": login_page.status_code,
    "hsts": login_page.get("Strict-Transport-Security"),
    "csp": login_page.get("Content-Security-Policy"),
    "forgot_link": "Forgot your password?" in login_page.content.decode(),
    "after_login": login.status_code,
    "session_cookie_secure": bool(login.cookies["sessionid"]["secure"]),
    "pages": {},
}
for url in ["/", "/team/patients/", f"/patients/{patient.registry_id}/", "/alerts/"]:
    response = client.get(url, follow=True)
    seen["pages"][url] = [response.redirect_chain[-1][0], response.get("Cache-Control")]
print(json.dumps(seen))
