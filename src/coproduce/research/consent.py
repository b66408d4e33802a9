"""Versioned e-consent: single-use signing links, signatures, the signed copy, re-consent.

Links reuse the check-in token machinery (checkins.tokens: only the digest is stored). The
copy is a PDF made here (pdf.py) and e-mailed through the notification outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.checkins.outbox import Recipient, recipient_for
from coproduce.checkins.tokens import LinkRefused, find_by_token, new_token
from coproduce.people.models import Patient, ProxyKind, Role, User
from coproduce.platform import clock
from coproduce.platform.models import Channel, Notification
from coproduce.research.models import ConsentDocument, Signer, Study
from coproduce.research.participants import (
    IN_STUDY,
    Consent,
    ConsentLink,
    Participant,
    Status,
)
from coproduce.research.pdf import consent_pdf

LINK_DAYS = 14
COPY_HOURS = 24  # after signing, the same link opens the signed copy for this long
ADULT_AGE = 18


def signers_needed(participant: Participant, *, on: dt.date) -> list[str]:
    """Return who must sign: the adult, or a parent plus (from the assent age) the minor."""
    age = participant.patient.age_on(on)
    if age >= ADULT_AGE:
        return [Signer.ADULT]
    if age >= participant.study.assent_age:
        return [Signer.PARENT, Signer.ASSENT]
    return [Signer.PARENT]


def current_document(study: Study, signer: str) -> ConsentDocument | None:
    """Return the newest version in force (signed off by the PI) for `signer`."""
    return (
        ConsentDocument.objects.filter(study=study, signer=signer, signed_off_at__isnull=False)
        .order_by("-approved_on", "-pk")
        .first()
    )


def _valid_from(study: Study, signer: str) -> ConsentDocument | None:
    """The newest in-force version that asked for re-consent: signatures before it lapse."""
    return (
        ConsentDocument.objects.filter(
            study=study, signer=signer, signed_off_at__isnull=False, reconsent_required=True
        )
        .order_by("-approved_on", "-pk")
        .first()
    )


def valid_consent(participant: Participant, signer: str) -> Consent | None:
    """Return the signature that still holds for `signer`, or None."""
    floor = _valid_from(participant.study, signer)
    consents = Consent.objects.filter(
        participant=participant, signer=signer, agreed=True, document__signed_off_at__isnull=False
    ).select_related("document")
    return _holding(floor, consents.order_by("-signed_at"))


def _holding(floor: ConsentDocument | None, consents: Iterable[Consent]) -> Consent | None:
    """The newest of these signatures (newest first) not lapsed by the re-consent `floor`."""
    for consent in consents:
        doc = consent.document
        if floor is None or (doc.approved_on, doc.pk) >= (floor.approved_on, floor.pk):
            return consent
    return None


def consent_holds_among(participants: Iterable[Participant], *, on: dt.date) -> set[int]:
    """The pks of those whose consent is valid now (`consent_problems` empty), in two
    queries for any number (participants with `patient` and `study` selected)."""
    participants = [p for p in participants if p.withdrawn_at is None]
    floors: dict[tuple[int, str], ConsentDocument] = {}
    for doc in ConsentDocument.objects.filter(
        study_id__in={p.study_id for p in participants},
        signed_off_at__isnull=False,
        reconsent_required=True,
    ).order_by("-approved_on", "-pk"):
        floors.setdefault((doc.study_id, doc.signer), doc)
    signed: dict[tuple[int, str], list[Consent]] = {}
    for consent in (
        Consent.objects.filter(
            participant__in=participants, agreed=True, document__signed_off_at__isnull=False
        )
        .select_related("document")
        .order_by("-signed_at")
    ):
        signed.setdefault((consent.participant_id, consent.signer), []).append(consent)
    return {
        p.pk
        for p in participants
        if all(
            _holding(floors.get((p.study_id, s)), signed.get((p.pk, s), [])) is not None
            for s in signers_needed(p, on=on)
        )
    }


def consent_problems(participant: Participant, *, on: dt.date | None = None) -> list[str]:
    """Return why the participant's consent is not valid now (empty: it is)."""
    on = on or clock.today()
    if participant.withdrawn_at is not None:
        return [_("The participant has withdrawn.")]
    problems = []
    for signer in signers_needed(participant, on=on):
        if valid_consent(participant, signer) is None:
            label = Signer(signer).label
            problems.append(_("Valid consent is missing: %(who)s.") % {"who": label})
    return problems


def _recipient(participant: Participant, signer: str) -> Recipient | None:
    patient = participant.patient
    if signer == Signer.PARENT:
        link = (
            patient.proxy_links.filter(kind=ProxyKind.PARENT, revoked_at__isnull=True)
            .exclude(user__email="")
            .select_related("user")
            .first()
        )
        return Recipient(Channel.EMAIL, link.user.email) if link else None
    return recipient_for(patient)


def signing_url(token: str) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.COPRODUCE_BASE_URL + reverse("consent-sign", args=[token])


def issue_link(
    participant: Participant, signer: str, *, by: User | None, now: dt.datetime | None = None
) -> str:
    """Create a signing link for the current document, send it, return the token (once)."""
    now = now or clock.now()
    document = current_document(participant.study, signer)
    if document is None:
        raise ValidationError(_("There is no consent document in force for this signer."))
    if participant.withdrawn_at is not None:
        raise ValidationError(_("The participant has withdrawn; no consent can be asked."))
    token, token_digest = new_token()
    recipient = _recipient(participant, signer)
    link = ConsentLink.objects.create(
        participant=participant,
        document=document,
        digest=token_digest,
        sent_to=recipient.to if recipient else "",
        created_at=now,
        expires_at=now + dt.timedelta(days=LINK_DAYS),
    )
    if recipient is not None:
        body = render_to_string(
            "research/consent_link.txt",
            {"study": participant.study, "document": document, "link": signing_url(token)},
        ).strip()
        Notification.objects.create(
            channel=recipient.channel,
            to=recipient.to,
            subject=_("Please read and sign: %(title)s") % {"title": document.title},
            body=body,
            purpose="consent_link",
            dedupe_key=f"consent-link:{link.pk}",
            patient=participant.patient,
            next_attempt_at=now,
            created_at=now,
        )
    if participant.status == Status.SCREENED:
        participant.status = Status.APPROACHED
        participant.approached_at = participant.approached_at or now
        participant.save(update_fields=["status", "approached_at"])
    record(
        "research.consent_link_issued",
        actor=by,
        patient=participant.patient,
        obj=link,
        detail={"study": participant.study.slug, "signer": signer, "version": document.version},
    )
    return token


def link_for_token(token: str, *, now: dt.datetime) -> ConsentLink:
    """Return the unused, unexpired link a token opens, or raise LinkRefused saying why."""
    link = find_by_token(
        ConsentLink.objects.select_related("document__study", "participant__patient__care_team"),
        token,
    )
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("completed")
    if link.expires_at <= now or link.participant.withdrawn_at is not None:
        raise LinkRefused("expired")
    return link


def copy_for_token(token: str, *, now: dt.datetime) -> Consent:
    """Return the signed consent a used link may still show (for COPY_HOURS after signing)."""
    consent = find_by_token(
        Consent.objects.select_related("link", "document"), token, field="link__digest"
    )
    if consent is None or consent.signed_at + dt.timedelta(hours=COPY_HOURS) <= now:
        raise LinkRefused("unknown")
    return consent


def sign(
    link: ConsentLink,
    *,
    typed_name: str,
    agreed: bool,
    device: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Consent:
    """Record a signature through a link (used once), make the PDF copy and e-mail it."""
    now = now or clock.now()
    typed_name = " ".join((typed_name or "").split())
    errors = {}
    if len(typed_name) < 2:
        errors["typed_name"] = _("Type your full name to sign.")
    if not agreed:
        errors["agreed"] = _("Tick the box to say you agree.")
    if errors:
        raise ValidationError(errors)
    claimed = ConsentLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise LinkRefused("completed")
    participant = link.participant
    consent = Consent(
        participant=participant,
        document=link.document,
        signer=link.document.signer,
        link=link,
        typed_name=typed_name[:200],
        agreed=True,
        signed_at=now,
        device=(device or "")[:300],
        ip=ip,
    )
    consent.pdf = consent_pdf(consent)
    consent.save()
    _email_copy(consent, now)
    if participant.status in (Status.SCREENED, Status.APPROACHED) and not consent_problems(
        participant, on=clock.clinic_today(participant.site, now)
    ):
        participant.status = Status.CONSENTED
        participant.consented_at = now
        participant.save(update_fields=["status", "consented_at"])
    record(
        "research.consent_signed",
        patient=participant.patient,
        obj=consent,
        detail={
            "study": participant.study.slug,
            "signer": consent.signer,
            "version": link.document.version,
        },
    )
    return consent


def _email_copy(consent: Consent, now: dt.datetime) -> None:
    participant = consent.participant
    recipient = _recipient(participant, consent.signer)
    if recipient is None or recipient.channel != Channel.EMAIL:
        recipient = _email_of(participant.patient, consent.signer)
    if recipient is None:
        return
    document = consent.document
    Notification.objects.create(
        channel=Channel.EMAIL,
        to=recipient.to,
        subject=_("Your signed copy: %(title)s") % {"title": document.title},
        body=render_to_string("research/consent_copy.txt", {"document": document}).strip(),
        purpose="consent_copy",
        dedupe_key=f"consent-copy:{consent.pk}",
        patient=participant.patient,
        attachment_name=f"consent-{participant.study.slug}-v{document.version}.pdf",
        attachment_type="application/pdf",
        attachment=bytes(consent.pdf),
        next_attempt_at=now,
        created_at=now,
    )


def _email_of(patient: Patient, signer: str) -> Recipient | None:
    if signer != Signer.PARENT and patient.email:
        return Recipient(Channel.EMAIL, patient.email)
    return None


def sign_off(document: ConsentDocument, *, by: User, now: dt.datetime | None = None) -> int:
    """The PI puts a version in force; return how many re-consent links were sent.

    Only a version marked `reconsent_required` asks participants to sign again; a minor
    wording change takes effect for new signers only.
    """
    now = now or clock.now()
    from coproduce.research.access import is_study_staff

    if by.role != Role.INVESTIGATOR or not is_study_staff(by, document.study):
        raise PermissionDenied(_("Only the study's principal investigator signs off consent."))
    if document.signed_off_at is not None:
        raise ValidationError(_("This version is already in force."))
    document.signed_off_by = by
    document.signed_off_at = now
    document.save(update_fields=["signed_off_by", "signed_off_at"])
    sent = 0
    if document.reconsent_required:
        for participant in needing_reconsent(document):
            issue_link(participant, document.signer, by=by, now=now)
            sent += 1
    record(
        "research.consent_signed_off",
        actor=by,
        obj=document,
        detail={
            "study": document.study.slug,
            "version": document.version,
            "reconsent_links": sent,
        },
    )
    return sent


def needing_reconsent(document: ConsentDocument) -> QuerySet[Participant]:
    """Participants still in the study who signed this signer kind before `document`."""
    joined = [s for s in IN_STUDY if s not in (Status.WITHDRAWN, Status.COMPLETED)]
    return (
        Participant.objects.filter(
            study=document.study,
            status__in=joined,
            consents__signer=document.signer,
            withdrawn_at__isnull=True,
        )
        .exclude(consents__document=document)
        .distinct()
    )


def pending_versions(study: Study) -> QuerySet[ConsentDocument]:
    """Versions approved by ethics but not yet signed off by the PI."""
    return ConsentDocument.objects.filter(study=study, signed_off_at__isnull=True)
