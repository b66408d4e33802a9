"""Research pages: thin views over access.py and the services (screening, consent, ...).

Every page answers 404 to anyone who may not see it (access.get_study_for and friends).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.checkins.tokens import LinkRefused
from coproduce.people.models import Patient, Role
from coproduce.platform import clock
from coproduce.platform.http import role_required, show_service_error
from coproduce.research import (
    access,
    consent,
    consort,
    followup,
    quality,
    screening,
    workspace,
)
from coproduce.research.forms import ConsentSignForm
from coproduce.research.models import ConsentDocument, Signer
from coproduce.research.participants import (
    ContactOutcome,
    DeclineReason,
    Status,
    WithdrawalScope,
)

STUDY_ROLES = access.STUDY_ROLES
COORDINATOR = (Role.COORDINATOR,)


@role_required(*STUDY_ROLES)
def study_list(request):
    return render(request, "research/studies.html", {"studies": access.studies_for(request.user)})


@role_required(*STUDY_ROLES)
def study_home(request, slug: str):
    study = access.get_study_for(request.user, slug)
    now = clock.now()
    context: dict[str, Any] = {
        "study": study,
        "pending_versions": consent.pending_versions(study),
    }
    if request.user.role == Role.COORDINATOR:
        participants = access.participants_for(request.user, study)
        rows = workspace.followed_rows(participants, now=now)
        today = clock.today()
        start = dt.datetime.combine(today, dt.time(0), tzinfo=timezone.get_current_timezone())
        context.update(
            statuses=workspace.by_status(participants),
            rows=rows,
            by_site=workspace.completion_by_site(rows),
            calls=workspace.calls_due(participants, on=today),
            sessions=workspace.sessions_between(
                request.user, participants, start, start + dt.timedelta(days=7)
            ),
            sites=access.sites_for(request.user, study),
            open_queries=quality.queries_for(participants).filter(status="open").count(),
        )
        record(
            "research.workspace_viewed",
            actor=request.user,
            detail={
                "study": study.slug,
                "registry_ids": sorted({r.participant.patient.registry_id for r in rows}),
            },
        )
    return render(request, "research/study.html", context)


@role_required(*COORDINATOR)
def screening_log(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    sites = list(access.sites_for(request.user, study))
    today = clock.today()
    candidates = [p for site in sites for p in screening.candidates(study, site, on=today)]
    log = access.participants_for(request.user, study).select_related("patient", "site")
    log = log.order_by("-screened_at")
    record(
        "patient.listed",
        actor=request.user,
        detail={
            "page": "research-screening",
            "registry_ids": sorted(
                {p.registry_id for p in candidates} | {r.patient.registry_id for r in log}
            ),
        },
    )
    return render(
        request,
        "research/screening.html",
        {"study": study, "candidates": candidates, "log": log, "reasons": DeclineReason.choices},
    )


@require_POST
@role_required(*COORDINATOR)
def screen(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    sites = access.sites_for(request.user, study)
    patient = Patient.objects.filter(
        registry_id=request.POST.get("registry_id", ""), care_team__site__in=sites
    ).first()
    if patient is None:
        raise Http404("No such candidate.")
    try:
        with transaction.atomic():
            participant = screening.screen(study, patient, by=request.user)
    except ValidationError as exc:
        show_service_error(request, exc)
        return redirect("research:screening", slug=study.slug)
    return redirect("research:participant", slug=study.slug, pk=participant.pk)


@never_cache
@role_required(*COORDINATOR)
def participant_detail(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    participant = access.get_participant_for(request.user, study, pk, event="patient.viewed")
    now = clock.now()
    today = clock.today()
    signers = consent.signers_needed(participant, on=today)
    consents = [
        (
            Signer(s).label,
            s,
            consent.valid_consent(participant, s),
            consent.current_document(study, s),
        )
        for s in signers
    ]
    arm = access.arm_for(request.user, participant)
    return render(
        request,
        "research/participant.html",
        {
            "study": study,
            "p": participant,
            "patient": participant.patient,
            "criteria": list(study.confirmed_criteria.all()),
            "consents": consents,
            "problems": consent.consent_problems(participant, on=today),
            "arm": arm,
            "due": followup.assessments_due(participant, now=now),
            # How many sessions someone has tells the arm: shown only with the arm.
            "sessions": participant.sessions.all() if arm is not None else [],
            "tasks": participant.contact_tasks.all(),
            "contacts": participant.contacts.select_related("by")[:20],
            "withdrawals": participant.withdrawals.all(),
            "scopes": WithdrawalScope.choices,
            "outcomes": ContactOutcome.choices,
            "reasons": DeclineReason.choices,
            "now": now,
            "Status": Status,
        },
    )


def _act(request, participant, action: str) -> str:
    """Run one coordinator action; return the message to show."""
    by = request.user
    post = request.POST
    if action == "approach":
        screening.approach(participant, by=by)
        return _("Marked as approached.")
    if action == "decline":
        screening.decline(
            participant, reason=post.get("reason", ""), note=post.get("note", ""), by=by
        )
        return _("The decline and its reason are recorded.")
    if action == "eligibility":
        answers = {
            str(c.pk): post.get(f"criterion-{c.pk}") == "yes"
            for c in participant.study.confirmed_criteria.all()
            if post.get(f"criterion-{c.pk}") in ("yes", "no")
        }
        eligible = screening.confirm_eligibility(participant, answers, by=by)
        return _("Eligibility confirmed.") if eligible else _("Not eligible: recorded.")
    if action == "consent-link":
        signer = post.get("signer", "")
        if signer not in consent.signers_needed(participant, on=clock.today()):
            raise ValidationError(_("Choose who signs."))
        consent.issue_link(participant, signer, by=by)
        return _("A signing link was sent.")
    if action == "randomise":
        followup.randomise_and_start(participant, by=by)
        return _("Randomised.")
    if action == "withdraw":
        followup.withdraw(
            participant, scope=post.get("scope", ""), reason=post.get("reason", ""), by=by
        )
        return _("The withdrawal is recorded. Clinical care and check-ins go on as before.")
    if action == "complete":
        followup.complete(participant, by=by)
        return _("Marked as completed.")
    if action == "contact":
        task = None
        if post.get("task"):
            task = get_object_or_404(participant.contact_tasks, pk=post.get("task"))
        followup.log_contact(
            participant,
            outcome=post.get("outcome", ""),
            note=post.get("note", ""),
            task=task,
            by=by,
        )
        return _("Contact logged.")
    if action == "attendance":
        session = get_object_or_404(participant.sessions, pk=post.get("session"))
        followup.record_attendance(session, attended=post.get("attended") == "yes", by=by)
        return _("Attendance recorded.")
    raise Http404("No such action.")


@require_POST
@role_required(*COORDINATOR)
def participant_action(request, slug: str, pk: int, action: str):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    participant = access.get_participant_for(request.user, study, pk)
    try:
        with transaction.atomic():
            messages.success(request, _act(request, participant, action))
    except ValidationError as exc:
        show_service_error(request, exc)
    return redirect("research:participant", slug=study.slug, pk=participant.pk)


@role_required(*STUDY_ROLES)
def consort_page(request, slug: str):
    study = access.get_study_for(request.user, slug)
    rows = (
        access.participants_for(request.user, study)
        if request.user.role == Role.COORDINATOR
        else None
    )
    result = consort.flow(study, rows)
    return render(
        request,
        "research/consort.html",
        {"study": study, "flow": result, "svg": consort.consort_svg(study, result)},
    )


@role_required(Role.STATISTICIAN)
def allocation_list(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=(Role.STATISTICIAN,))
    rows = access.allocations_for(request.user, study)
    return render(request, "research/allocations.html", {"study": study, "rows": rows})


@require_POST
@role_required(Role.INVESTIGATOR)
def sign_off(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=(Role.INVESTIGATOR,))
    document = get_object_or_404(ConsentDocument, study=study, pk=pk)
    try:
        with transaction.atomic():
            sent = consent.sign_off(document, by=request.user)
    except ValidationError as exc:
        show_service_error(request, exc)
    else:
        messages.success(
            request,
            _("Version %(version)s is in force; %(n)s re-consent link(s) sent.")
            % {"version": document.version, "n": sent},
        )
    return redirect("research:study", slug=study.slug)


REFUSED_STATUS = {"unknown": 404, "expired": 410, "completed": 410, "cancelled": 410}


def _refused(request, exc: LinkRefused):
    return render(
        request,
        "research/consent_refused.html",
        {"reason": exc.reason},
        status=REFUSED_STATUS[exc.reason],
    )


@never_cache
def consent_sign(request, token: str):
    """The patient's (or parent's) signing page, opened from the single-use link."""
    now = clock.now()
    try:
        link = consent.link_for_token(token, now=now)
    except LinkRefused as exc:
        if exc.reason == "completed":
            return redirect("consent-done", token=token)
        return _refused(request, exc)
    form = ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                consent.sign(
                    link,
                    typed_name=form.cleaned_data["typed_name"],
                    agreed=form.cleaned_data["agreed"],
                    device=request.META.get("HTTP_USER_AGENT", ""),
                    ip=request.META.get("REMOTE_ADDR"),
                    now=now,
                )
        except ValidationError as exc:
            show_service_error(request, exc, form)
        except LinkRefused:
            return redirect("consent-done", token=token)
        else:
            return redirect("consent-done", token=token)
    document = link.document
    return render(
        request,
        "research/consent_sign.html",
        {
            "document": document,
            "paragraphs": [p for p in document.body.split("\n\n") if p.strip()],
            "study": document.study,
            "form": form,
            "typed_name": request.POST.get("typed_name", ""),
        },
        status=400 if form.errors else 200,
    )


@never_cache
def consent_done(request, token: str):
    try:
        signed = consent.copy_for_token(token, now=clock.now())
    except LinkRefused as exc:
        return _refused(request, exc)
    return render(request, "research/consent_done.html", {"consent": signed, "token": token})


@never_cache
def consent_copy(request, token: str):
    try:
        signed = consent.copy_for_token(token, now=clock.now())
    except LinkRefused as exc:
        return _refused(request, exc)
    record("research.consent_copy", patient=signed.participant.patient, obj=signed)
    response = HttpResponse(bytes(signed.pdf), content_type="application/pdf")
    name = f"consent-{signed.document.study.slug}-v{signed.document.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
