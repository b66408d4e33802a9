"""E-consent: single-use links, signatures, the PDF copy by e-mail, minors, re-consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from coproduce.checkins.tokens import LinkRefused
from coproduce.platform import clock
from coproduce.platform.delivery import send_pending
from coproduce.platform.models import Notification
from coproduce.research import consent
from coproduce.research.models import ConsentDocument, Signer
from coproduce.research.participants import Consent, Status
from tests.research.helpers import consented, eligible, screened, signed


def test_it_sends_a_link_that_signs_once_and_mails_a_pdf_copy(world, trial):
    world.alice.email = "alice@example.org"
    world.alice.save()
    p = screened(trial, world.alice, world.cora)
    token = consent.issue_link(p, Signer.ADULT, by=world.cora)
    link_row = Notification.objects.get(purpose="consent_link")
    assert token in link_row.body and link_row.to == "alice@example.org"
    link = consent.link_for_token(token, now=clock.now())
    with pytest.raises(ValidationError) as problem:
        consent.sign(link, typed_name=" ", agreed=False)
    assert set(problem.value.message_dict) == {"typed_name", "agreed"}
    assert not Consent.objects.exists()
    signed_row = consent.sign(link, typed_name="Alice  Example", agreed=True, device="Phone/1.0")
    assert signed_row.typed_name == "Alice Example" and signed_row.device == "Phone/1.0"
    assert bytes(signed_row.pdf).startswith(b"%PDF-")
    with pytest.raises(LinkRefused):
        consent.link_for_token(token, now=clock.now())
    p.refresh_from_db()
    assert p.status == Status.CONSENTED
    mail.outbox = []
    send_pending()
    copy = next(m for m in mail.outbox if m.attachments)
    name, content, kind = copy.attachments[0]
    assert name == "consent-empower-v1.0.pdf" and kind == "application/pdf"
    assert content == bytes(signed_row.pdf)
    sent = Notification.objects.get(purpose="consent_link")
    assert token not in sent.body  # scrubbed after sending


def test_it_refuses_an_expired_or_unknown_link(world, trial):
    p = screened(trial, world.alice, world.cora)
    token = consent.issue_link(p, Signer.ADULT, by=world.cora)
    later = clock.now() + dt.timedelta(days=consent.LINK_DAYS + 1)
    with pytest.raises(LinkRefused) as refused:
        consent.link_for_token(token, now=later)
    assert refused.value.reason == "expired"
    with pytest.raises(LinkRefused):
        consent.link_for_token("x" * 43, now=clock.now())


def test_a_minor_needs_a_parents_permission_and_their_own_assent(world, trial):
    trial.study.min_age = 12
    trial.study.save()
    p = eligible(screened(trial, world.tom, world.nina), world.cora)
    assert consent.signers_needed(p, on=clock.today()) == [Signer.PARENT, Signer.ASSENT]
    signed(p, Signer.PARENT, world.cora, name="Paula Parent")
    p.refresh_from_db()
    assert p.status != Status.CONSENTED
    assert len(consent.consent_problems(p)) == 1
    signed(p, Signer.ASSENT, world.cora, name="Tom")
    p.refresh_from_db()
    assert p.status == Status.CONSENTED and consent.consent_problems(p) == []


def test_a_young_child_needs_only_the_parent(world, trial):
    trial.study.min_age = 5
    trial.study.save()
    today = clock.today()
    world.tom.date_of_birth = today.replace(year=today.year - 8, day=1)
    world.tom.save()
    p = screened(trial, world.tom, world.cora)
    assert consent.signers_needed(p, on=today) == [Signer.PARENT]


def test_reconsent_version_sends_links_and_a_minor_change_does_not(world, trial):
    p = consented(trial, world.alice, world.cora)
    minor = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="1.1",
        approved_on=dt.date(2026, 1, 20),
        title="v1.1",
        body="Typo fixed.",
    )
    assert consent.sign_off(minor, by=trial.pi) == 0
    assert consent.consent_problems(p) == []
    major = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="2.0",
        approved_on=dt.date(2026, 2, 1),
        title="v2",
        body="New risks.",
        reconsent_required=True,
    )
    assert consent.sign_off(major, by=trial.pi) == 1
    assert consent.consent_problems(p)
    signed(p, Signer.ADULT, world.cora)
    assert consent.consent_problems(p) == []


def test_only_the_studys_pi_signs_off(world, trial):
    doc = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="9",
        approved_on=dt.date(2026, 2, 1),
        title="v9",
        body="x",
    )
    for who in (world.cora, trial.stat, world.adam):
        with pytest.raises(Exception, match="principal investigator"):
            consent.sign_off(doc, by=who)
    doc.refresh_from_db()
    assert doc.signed_off_at is None
