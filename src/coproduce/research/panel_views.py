"""Pages of the advisory panel and the incentives ledger (thin views over panel.py and
incentives.py). Panel members see only their own things; study staff see the panel's
feedback and make-up; patients never see the panel. Anyone else gets 404.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.checkins.tokens import LinkRefused, find_by_token
from coproduce.people.models import LEDGER_ROLES, Role
from coproduce.platform import clock
from coproduce.platform.http import role_required, show_service_error
from coproduce.research import access, incentives, panel
from coproduce.research.forms import SurveyAnswersForm
from coproduce.research.incentive_models import PaymentBatch
from coproduce.research.panel_models import Material, Panel, PanelSurvey, SurveyInvitation

STUDY_ROLES = access.STUDY_ROLES
COORDINATOR = (Role.COORDINATOR,)


# -- the panel member ---------------------------------------------------------------------


@never_cache
@role_required(Role.PANELIST)
def panel_home(request):
    member = panel.member_for(request.user)
    now = clock.now()
    return render(
        request,
        "research/panel/home.html",
        {
            "member": member,
            "waiting": panel.waiting_for(member, now=now),
            "statement": incentives.statement(member=member, now=now),
        },
    )


def _survey_page(request, invitation: SurveyInvitation, *, done_url: str):
    questions = invitation.survey.questions
    form = SurveyAnswersForm(request.POST or None, questions)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                panel.submit(
                    invitation,
                    {q["id"]: form.cleaned_data[q["id"]] for q in questions},
                    by=request.user,
                )
        except ValidationError as exc:
            show_service_error(request, exc, form)
        except LinkRefused:
            return redirect(done_url)
        else:
            return redirect(done_url)
    survey = invitation.survey
    return render(
        request,
        "research/panel/survey.html",
        {
            "survey": survey,
            "version": survey.version,
            "paragraphs": [p for p in survey.version.content.split("\n\n") if p.strip()],
            "form": form,
            "posted": request.POST,
        },
        status=400 if form.errors else 200,
    )


def _thanks(request, invitation: SurveyInvitation):
    entry = invitation.member.panel.rules.filter(kind="per_survey").first()
    earned = incentives.money(entry.amount_cents, entry.currency) if entry else None
    return render(
        request, "research/panel/thanks.html", {"survey": invitation.survey, "earned": earned}
    )


REFUSED_STATUS = {"unknown": 404, "expired": 410}


@never_cache
def survey_by_link(request, token: str):
    """The single-use link from the e-mail: no login needed, answered once."""
    try:
        invitation = panel.invitation_for_token(token, now=clock.now())
    except LinkRefused as exc:
        if exc.reason == "completed":
            return _thanks(request, find_by_token(SurveyInvitation.objects, token))
        return render(
            request,
            "research/panel/refused.html",
            {"reason": exc.reason},
            status=REFUSED_STATUS[exc.reason],
        )
    return _survey_page(request, invitation, done_url=request.path)


@never_cache
@role_required(Role.PANELIST)
def survey_for_member(request, pk: int):
    member = panel.member_for(request.user)
    invitation = panel.invitation_for_member(member, pk)
    if invitation.completed_at is not None:
        return _thanks(request, invitation)
    try:
        panel.check_open(invitation, now=clock.now())
    except LinkRefused:
        return render(request, "research/panel/refused.html", {"reason": "expired"}, status=410)
    return _survey_page(request, invitation, done_url=request.path)


# -- the patient's statement ------------------------------------------------------------


@never_cache
@role_required(Role.PATIENT)
def my_incentives(request):
    patient = getattr(request.user, "patient", None)
    if patient is None:
        raise Http404("No patient record is linked to this login.")
    return render(
        request,
        "research/incentives/statement.html",
        {"statement": incentives.statement(patient=patient), "describe": incentives.describe},
    )


# -- the study team ---------------------------------------------------------------------


def _panel_of(study) -> Panel:
    found = study.panels.first()
    if found is None:
        raise Http404("This study has no panel.")
    return found


@role_required(*STUDY_ROLES)
def panel_page(request, slug: str):
    study = access.get_study_for(request.user, slug)
    the_panel = _panel_of(study)
    today = clock.today(ZoneInfo(the_panel.time_zone))
    surveys = the_panel.surveys.select_related("version__material")
    return render(
        request,
        "research/panel/team.html",
        {
            "study": study,
            "panel": the_panel,
            "members": len(panel.active_members(the_panel, on=today)),
            "table": panel.representativeness(the_panel, on=today),
            "materials": panel.materials_of(the_panel),
            "surveys": [
                (s, s.invitations.count(), s.invitations.filter(completed_at__isnull=False).count())
                for s in surveys
            ],
        },
    )


@role_required(*STUDY_ROLES)
def material_page(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug)
    material = get_object_or_404(Material, study=study, pk=pk)
    return render(
        request,
        "research/panel/material.html",
        {"study": study, "material": material, "versions": panel.feedback(material)},
    )


@require_POST
@role_required(*COORDINATOR)
def send_survey(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    survey = get_object_or_404(PanelSurvey, panel__study=study, pk=pk)
    with transaction.atomic():
        sent = panel.send_survey(survey, by=request.user)
    messages.success(request, _("%(n)s link(s) sent.") % {"n": len(sent)})
    return redirect("research:panel", slug=study.slug)


@never_cache
@role_required(*LEDGER_ROLES)
def ledger_page(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=LEDGER_ROLES)
    batches = [
        (b, incentives.batch_total(b), b.entries.count())
        for b in incentives.batches_for(request.user, study)
    ]
    context = {"study": study, "batches": batches, "money": incentives.money}
    if request.user.role == Role.COORDINATOR:
        waiting = list(
            incentives.entries_for(request.user, study)
            .filter(batch__isnull=True)
            .select_related("patient", "member", "rule")
            .order_by("earned_at")
        )
        context["waiting"] = waiting
        record(
            "patient.listed",
            actor=request.user,
            detail={
                "page": "research-incentives",
                "study": study.slug,
                "registry_ids": sorted({e.patient.registry_id for e in waiting if e.patient}),
            },
        )
    return render(request, "research/incentives/ledger.html", context)


@require_POST
@role_required(*LEDGER_ROLES)
def batch_action(request, slug: str, pk: int | None = None, action: str = "create"):
    study = access.get_study_for(request.user, slug, roles=LEDGER_ROLES)
    try:
        with transaction.atomic():
            if action == "create":
                if request.user.role != Role.COORDINATOR:
                    raise Http404("No such action.")
                incentives.create_batch(study, by=request.user)
                messages.success(
                    request, _("A payment batch was made; it waits for the PI's approval.")
                )
            else:
                batch = get_object_or_404(incentives.batches_for(request.user, study), pk=pk)
                if action == "approve":
                    incentives.approve_batch(batch, by=request.user)
                    messages.success(request, _("The batch is approved."))
                elif action == "paid":
                    incentives.mark_paid(batch, by=request.user)
                    messages.success(request, _("The batch is marked as paid."))
                else:
                    raise Http404("No such action.")
    except ValidationError as exc:
        show_service_error(request, exc)
    except PermissionDenied:
        raise Http404("No such batch.") from None
    return redirect("research:incentives", slug=study.slug)


@role_required(*COORDINATOR)
def batch_csv(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    batch: PaymentBatch = get_object_or_404(incentives.batches_for(request.user, study), pk=pk)
    try:
        text = incentives.batch_csv(batch, by=request.user)
    except ValidationError as exc:
        show_service_error(request, exc)
        return redirect("research:incentives", slug=study.slug)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payments-{study.slug}-{batch.pk}.csv"'
    return response
