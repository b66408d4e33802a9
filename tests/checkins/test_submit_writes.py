"""The submit's write path: few statements, the same rows either way, safe when raced."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import audit_event
from coproduce.checkins.models import CheckinResponse, Invitation, InvitationStatus, Score
from coproduce.checkins.scheduling import enroll
from coproduce.checkins.services import submit_checkin
from coproduce.platform.batch import Batch, Ref, _write_one_statement, _write_row_by_row
from coproduce.platform.models import Notification
from coproduce.safetynet.models import Alert, PatientMessage
from coproduce.safetynet.rules import sync_rules
from tests.checkins.conftest import DUE, MONDAY, full_answers

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement writer runs on PostgreSQL"
)


@pytest.fixture
def taper(alice, weekly, program, world):
    """Alice in the opioid-taper program, with the shipped rules and a nurse to notify."""
    program.slug = "opioid-taper"
    program.save()
    sync_rules()
    world.nina.email = "nina@example.org"
    world.nina.save()
    enroll(alice, program, actor=None, now=MONDAY, started_on=MONDAY.date())
    return alice


def _invitations(patient):
    return list(Invitation.objects.filter(patient=patient).order_by("due_at"))


def _submit(inv, answers, *, now, key=None, text=""):
    with transaction.atomic():
        return submit_checkin(
            invitation=inv,
            answers=answers,
            free_text=text,
            idempotency_key=key or f"k{inv.pk}",
            now=now,
        )


def test_it_reads_twice_and_writes_once_however_long_the_history(taper, django_assert_num_queries):
    invs = _invitations(taper)
    assert len(invs) >= 3
    for i, inv in enumerate(invs[:-1]):
        _submit(inv, full_answers(peg=3 + i), now=inv.due_at + dt.timedelta(hours=1))
    last = invs[-1]
    # PostgreSQL: lock + snapshot (sent together), then one statement for all nine rows, plus
    # the savepoint pair of the atomic block (the test itself runs in a transaction). SQLite
    # writes the rows one by one (and a savepoint around the response): 16. Neither grows
    # with the history.
    expected = 5 if connection.vendor == "postgresql" else 16
    with django_assert_num_queries(expected):
        result = _submit(
            last, full_answers(item9=1, peg=9), now=last.due_at + dt.timedelta(hours=1)
        )
    assert result.created and result.crisis
    assert any(a.data.get("crisis") for a in result.response.alerts.all())
    assert Notification.objects.filter(purpose="alert", to="nina@example.org").exists()
    audit = AuditEvent.objects.filter(event="checkin.submitted").latest("id")
    assert audit.object_id == str(result.response.pk)
    raised = AuditEvent.objects.filter(event="alert.raised")
    assert {e.object_id for e in raised} == {str(a.pk) for a in Alert.objects.all()}


def test_the_returned_objects_are_saved_and_linked(taper):
    inv = _invitations(taper)[0]
    result = _submit(inv, full_answers(item9=1), now=DUE)
    response = CheckinResponse.objects.get()
    assert result.response.pk == response.pk and not result.response._state.adding
    assert sorted(s.pk for s in result.scores) == sorted(Score.objects.values_list("pk", flat=True))
    assert all(s.response_id == response.pk for s in result.scores)
    assert [m.pk for m in result.messages] == list(
        PatientMessage.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert all(m.response_id == response.pk for m in result.messages)


def test_a_key_used_for_another_check_in_returns_that_check_in(taper):
    first, second = _invitations(taper)[:2]
    one = _submit(first, full_answers(), now=DUE, key="same")
    again = _submit(second, full_answers(), now=DUE, key="same")
    assert not again.created and again.response.pk == one.response.pk
    assert CheckinResponse.objects.count() == 1
    second.refresh_from_db()
    assert second.status != InvitationStatus.COMPLETED


def _batch(inv, key: str, nurse) -> tuple[Batch, CheckinResponse]:
    """A batch like a submit's: response (guard), scores, message, alert, audit, outbox, update."""
    patient = inv.patient
    response = CheckinResponse(
        patient=patient,
        invitation=inv,
        answers={"peg": {"peg-1": 7}},
        versions={"peg": "1.0"},
        idempotency_key=key,
        submitted_at=DUE,
    )
    batch = Batch()
    batch.insert(response, skip_if_exists=True)
    for instrument, value in (("peg", 7.0), ("pain-nrs", None)):
        batch.insert(
            Score(
                response=response,
                patient=patient,
                instrument_id=instrument,
                version="1.0",
                score=value,
                flags=["x"],
                derived={"a": 1.5},
                at=DUE,
            )
        )
    batch.insert(
        PatientMessage(
            patient=patient,
            response=response,
            rule_id="r",
            acknowledge="a",
            validate="v",
            advise="d",
            clinic_will="c",
            created_at=DUE,
        )
    )
    alert = Alert(
        patient=patient,
        care_team=patient.care_team,
        response=response,
        rule_id="r",
        priority=1,
        reason="why",
        data={"score(peg)": 7.0},
        created_at=DUE,
        ack_due_at=DUE + dt.timedelta(hours=1),
    )
    batch.insert(alert)
    batch.insert(
        audit_event("alert.raised", patient=patient, obj=alert, detail={"rule": "r"}),
        refs={"object_id": Ref(alert)},
    )
    batch.insert(
        Notification(
            channel="email",
            to=nurse.email,
            body="b",
            purpose="alert",
            patient=patient,
            next_attempt_at=DUE,
            created_at=DUE,
        ),
        refs={"dedupe_key": Ref(response, "alert:r", f":r:u{nurse.pk}")},
        ignore_conflicts=True,
    )
    inv.status = InvitationStatus.COMPLETED
    inv.completed_at = DUE
    inv.draft = {}
    batch.update(inv, ["status", "completed_at", "draft"])
    return batch, response


def _stored(response_id: int) -> dict:
    """What a batch stored, with ids replaced so two batches can be compared."""
    response = CheckinResponse.objects.get(pk=response_id)
    alert = Alert.objects.get(response=response)
    skip = {"id", "response", "invitation", "idempotency_key", "at"}

    def row(obj):
        return {
            f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.name not in skip
        }

    return {
        "response": row(response),
        "scores": sorted((row(s) for s in response.scores.all()), key=str),
        "messages": [row(m) for m in response.messages.all()],
        "alert": row(alert),
        "audit": row(AuditEvent.objects.get(event="alert.raised", object_id=str(alert.pk)))
        | {"object_id": "(alert)"},
        "outbox": row(Notification.objects.get(dedupe_key__startswith=f"alert:r{response.pk}:"))
        | {"dedupe_key": "(response)"},
        "invitation": (response.invitation.status, response.invitation.completed_at),
    }


@postgresql_only
def test_both_writers_store_the_same_rows(taper, world):
    first, second = _invitations(taper)[:2]
    with transaction.atomic():
        a, ra = _batch(first, "by-row", world.nina)
        assert _write_row_by_row(a)
        b, rb = _batch(second, "one-statement", world.nina)
        assert _write_one_statement(b, connections["default"])
    left, right = _stored(ra.pk), _stored(rb.pk)
    left["response"].pop("submitted_by", None)
    right["response"].pop("submitted_by", None)
    assert left == right
    assert Notification.objects.get(dedupe_key=f"alert:r{rb.pk}:r:u{world.nina.pk}")


def test_a_batch_whose_guard_row_exists_writes_nothing(taper, world):
    inv = _invitations(taper)[0]
    with transaction.atomic():
        batch, _ = _batch(inv, "k", world.nina)
        assert batch.write()
    before = {m: m.objects.count() for m in (Score, PatientMessage, Alert, Notification)}
    audit_before = AuditEvent.objects.count()
    other = _invitations(taper)[1]
    with transaction.atomic():
        again, response = _batch(other, "k", world.nina)  # the same idempotency key
        assert not again.write()
    assert response.pk is None
    assert {m: m.objects.count() for m in before} == before
    assert AuditEvent.objects.count() == audit_before
    other.refresh_from_db()
    assert other.status != InvitationStatus.COMPLETED


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_devices_sending_at_once_store_one_response(world, weekly, program):
    alice = world.alice
    enroll(alice, program, actor=None, now=MONDAY, started_on=MONDAY.date())
    inv = _invitations(alice)[0]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send(key):
        try:
            barrier.wait(timeout=10)
            results.append(_submit(inv, full_answers(), now=DUE, key=key))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(k,)) for k in ("phone", "laptop")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert CheckinResponse.objects.count() == 1 and Score.objects.count() == 2
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.response.pk for r in results}) == 1
