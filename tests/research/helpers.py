"""Walking a patient through the study by its public services."""

from __future__ import annotations

import datetime as dt
import threading

from django.db import connections, transaction

from coproduce.checkins.scheduling import enroll
from coproduce.platform import clock
from coproduce.research import consent, screening
from coproduce.research.participants import Participant


def screened(trial, patient, by) -> Participant:
    enroll(patient, trial.care, actor=by, started_on=dt.date(2025, 1, 6))
    return screening.screen(trial.study, patient, by=by)


def eligible(participant, by) -> Participant:
    answers = {}
    for c in participant.study.confirmed_criteria.all():
        answers[str(c.pk)] = c.kind == "inclusion"
    assert screening.confirm_eligibility(participant, answers, by=by)
    return participant


def signed(participant, signer, by, *, name="Alice Example") -> None:
    token = consent.issue_link(participant, signer, by=by)
    link = consent.link_for_token(token, now=clock.now())
    consent.sign(link, typed_name=name, agreed=True, device="pytest phone")


def consented(trial, patient, by) -> Participant:
    p = eligible(screened(trial, patient, by), by)
    for signer in consent.signers_needed(p, on=clock.today()):
        signed(p, signer, by)
    p.refresh_from_db()
    return p


def lapse_consent(trial) -> None:
    """Put in force a new adult version that asks for re-consent: earlier signatures lapse."""
    from coproduce.research.models import ConsentDocument, Signer

    doc = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="2",
        approved_on=dt.date(2026, 2, 1),
        title="v2",
        body="x",
        reconsent_required=True,
    )
    consent.sign_off(doc, by=trial.pi)
def race(jobs, *, refusals: tuple[type[Exception], ...] = ()) -> tuple[list, list]:
    """Start every job at once, each in a thread and transaction of its own.

    Return (results, refused): what the jobs returned, and the `refusals` they raised. Any
    other exception fails the test.
    """
    barrier = threading.Barrier(len(jobs))
    done: list = []
    refused: list = []
    errors: list = []

    def go(job):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                done.append(job())
        except refusals as exc:
            refused.append(exc)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return done, refused
