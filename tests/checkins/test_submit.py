import pytest
from django.db import transaction

from coproduce.checkins.models import CheckinResponse, Invitation, InvitationStatus, Score
from coproduce.checkins.services import (
    CheckinClosed,
    CheckinInvalid,
    recheck_safetynet,
    submit_checkin,
    web_idempotency_key,
)
from coproduce.safetynet.models import Alert, PatientMessage
from tests.checkins.conftest import DUE, full_answers


@pytest.fixture
def inv(enrolled):
    return Invitation.objects.filter(patient=enrolled).order_by("due_at").first()


def _submit(inv, answers=None, key=None, **kwargs):
    with transaction.atomic():
        return submit_checkin(
            invitation=inv,
            answers=answers or full_answers(),
            idempotency_key=key or web_idempotency_key(inv),
            now=DUE,
            **kwargs,
        )


def test_it_stores_scores_and_completes_the_invitation(inv):
    result = _submit(inv, free_text="Sleeping badly")
    assert result.created
    r = CheckinResponse.objects.get()
    assert r.versions == {"peg": "1.0", "phq9": "1.0"}
    assert r.answers["phq9"]["phq9-1"] == "LA6570-1"  # stored as the option code
    assert {s.instrument_id: s.score for s in Score.objects.all()} == {"peg": 5, "phq9": 16}
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.COMPLETED and inv.draft == {}


def test_it_stores_one_response_for_a_double_submit(inv):
    first = _submit(inv)
    second = _submit(inv)
    assert not second.created and second.response.pk == first.response.pk
    assert CheckinResponse.objects.count() == 1 and Score.objects.count() == 2


def test_it_refuses_bad_input_naming_the_item_and_stores_nothing(inv):
    answers = full_answers()
    answers["peg"]["peg-2"] = 11
    with pytest.raises(CheckinInvalid, match="peg-2") as exc:
        _submit(inv, answers)
    assert exc.value.link_id == "peg-2"
    assert CheckinResponse.objects.count() == 0
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.SCHEDULED


def test_it_refuses_a_missing_required_answer(inv):
    answers = full_answers()
    del answers["phq9"]["phq9-9"]
    with pytest.raises(CheckinInvalid, match="phq9-9"):
        _submit(inv, answers)


def test_it_leaves_nothing_when_killed_mid_transaction_and_a_retry_works(inv):
    # The same instrument twice makes the second Score insert violate its unique constraint,
    # after the response row and the first score were written.
    Invitation.objects.filter(pk=inv.pk).update(instruments=["peg", "phq9", "peg"])
    inv.refresh_from_db()
    with pytest.raises(Exception, match=r"(?i)unique"):
        _submit(inv)
    assert CheckinResponse.objects.count() == Score.objects.count() == 0
    assert PatientMessage.objects.count() == Alert.objects.count() == 0
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.SCHEDULED
    Invitation.objects.filter(pk=inv.pk).update(instruments=["peg", "phq9"])
    inv.refresh_from_db()
    assert _submit(inv).created
    assert CheckinResponse.objects.count() == 1


def test_it_raises_crisis_and_an_urgent_alert_for_phq9_item_9(inv):
    result = _submit(inv, full_answers(item9=1))
    assert result.crisis
    assert Alert.objects.get().priority == 1
    assert result.messages[0].crisis


def test_it_keeps_the_response_and_shows_crisis_help_when_the_safety_net_fails(inv, monkeypatch):
    import coproduce.safetynet.engine as engine

    real = engine.plan_safetynet

    def broken(*args, **kwargs):
        real(*args, **kwargs)  # reads, then fails
        raise RuntimeError("rules unavailable")

    monkeypatch.setattr(engine, "plan_safetynet", broken)
    result = _submit(inv, full_answers(item9=1))
    assert result.crisis and result.safetynet_failed
    r = CheckinResponse.objects.get()
    assert r.safetynet_pending and Alert.objects.count() == 0
    monkeypatch.setattr(engine, "plan_safetynet", real)
    assert recheck_safetynet(DUE) == 1
    assert Alert.objects.get().response == r
    assert recheck_safetynet(DUE) == 0


def test_it_refuses_an_expired_invitation(inv):
    Invitation.objects.filter(pk=inv.pk).update(expires_at=DUE)
    inv.refresh_from_db()
    with pytest.raises(CheckinClosed):
        _submit(inv)


def test_it_accepts_an_on_demand_check_in_without_an_invitation(alice):
    with transaction.atomic():
        result = submit_checkin(
            patient=alice,
            answers={"pain-nrs": {"pain-nrs": 4}},
            idempotency_key="k1",
            source="cli",
        )
    assert result.response.invitation is None and result.scores[0].score == 4
