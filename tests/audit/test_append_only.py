import pytest
from django.db import DatabaseError, connection, transaction

from coproduce.audit.models import AuditEvent, AuditIsAppendOnly
from coproduce.audit.services import record


@pytest.fixture
def event(world):
    return record("patient.viewed", actor=world.nina, patient=world.alice, obj=world.alice)


def test_it_refuses_to_save_a_changed_event(event):
    event.event = "patient.listed"
    with pytest.raises(AuditIsAppendOnly):
        event.save()


def test_it_refuses_to_delete_an_event(event):
    with pytest.raises(AuditIsAppendOnly):
        event.delete()


def test_it_refuses_queryset_updates_and_deletes(event):
    with pytest.raises(AuditIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(event="x")
    with pytest.raises(AuditIsAppendOnly):
        AuditEvent.objects.all().delete()


def test_it_refuses_raw_sql_updates_in_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET event = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).event == "patient.viewed"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses raw deletes")
def test_it_refuses_raw_sql_deletes_on_postgresql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_unknown_event_kinds(world):
    with pytest.raises(ValueError, match="Unknown audit event"):
        record("patient.peeked", actor=world.nina)


def test_it_carries_the_request_id_of_the_request(client, world):
    client.force_login(world.nina)
    response = client.get(
        f"/patients/{world.alice.registry_id}/", HTTP_X_REQUEST_ID="req-abc-12345"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(event="patient.viewed").order_by("-id").first()
    assert event.request_id == "req-abc-12345"
    assert response["X-Request-ID"] == "req-abc-12345"
