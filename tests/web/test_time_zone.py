import datetime as dt

from coproduce.platform import clock
from coproduce.visits.models import Appointment
from tests import factories


def test_it_shows_appointment_times_in_the_clinics_time_zone(client, world):
    site = factories.make_site("Boston Clinic", time_zone="America/New_York")
    team = factories.make_team(site, "Boston pain team")
    patient = factories.make_patient(team, given_name="Bea", login=True)
    starts = clock.now().replace(microsecond=0) + dt.timedelta(days=2)
    starts = starts.replace(hour=14, minute=0, second=0)
    Appointment.objects.create(patient=patient, care_team=team, starts_at=starts)
    client.force_login(patient.user)
    body = client.get("/me/").content.decode()
    # 14:00 UTC is 09:00 or 10:00 in New York depending on daylight saving time.
    local = starts.astimezone(site.zone)
    assert local.strftime("%H:%M") in body
    assert "14:00" not in body
