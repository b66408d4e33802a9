"""Care plan pages: parse, call a service, render. Every read goes through get_patient_for."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coproduce.careplans import goals, services
from coproduce.careplans.forms import (
    PACE_EXPLANATIONS,
    PACES,
    AnswerForm,
    DecisionForm,
    TaperPlanForm,
    TaperRequestForm,
)
from coproduce.careplans.mme import NOT_A_CONVERSION_NOTE, MMEError
from coproduce.careplans.models import Decision, GoalKind, PlanStatus, StepStatus, TaperRequest
from coproduce.careplans.taper import END_NOTES, EndReason
from coproduce.people.access import can_answer_for, get_patient_for
from coproduce.people.models import CLINICAL_ROLES, Role
from coproduce.platform import clock
from coproduce.platform.http import show_service_error

TEAM = CLINICAL_ROLES


@login_required
def care_plan(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "care-plan"})
    today = clock.clinic_today(patient.care_team.site)
    meds = services.medications_on(patient, today)
    try:
        mme = services.mme_of(meds)
        lines = {
            id(m): line
            for m, line in zip([m for m in meds if m.is_opioid], mme.medications, strict=True)
        }
    except MMEError as error:
        # A total that cannot be computed is a fault, not a refused change.
        mme, lines = None, {}
        show_service_error(request, error, refused=False)
    plan = services.latest_plan(patient)
    all_goals = list(patient.goals.order_by("created_at", "pk"))
    scores = goals.latest_scores(patient, (g.instrument_id for g in all_goals if g.instrument_id))
    rows = [(g, goals.progress(g, scores)) for g in all_goals]
    user = request.user
    # get_patient_for let a nurse or clinician in only if they are on the patient's team.
    is_team = user.role in TEAM
    answers_for = can_answer_for(user, patient)
    return render(
        request,
        "careplans/care_plan.html",
        {
            "patient": patient,
            "rows": [(m, lines.get(id(m))) for m in meds],
            "unconfirmed": sum(1 for m in meds if m.confirmed_by_patient_at is None),
            "mme": mme,
            "not_a_conversion": _(NOT_A_CONVERSION_NOTE),
            "patient_goals": [r for r in rows if r[0].kind == GoalKind.PATIENT],
            "clinical_goals": [r for r in rows if r[0].kind == GoalKind.CLINICAL],
            "actions": patient.action_items.order_by(
                F("done_at").asc(nulls_first=True), F("due_on").asc(nulls_last=True), "pk"
            ),
            "plan": plan,
            "status": services.taper_status(patient, today),
            "requests": plan.requests.select_related("requested_by") if plan else [],
            "decisions": plan.decisions.select_related("decided_by")[:5] if plan else [],
            "can_ask": plan is not None
            and plan.status in (PlanStatus.ACTIVE, PlanStatus.PAUSED)
            and answers_for,
            "answers_for": answers_for,
            "can_plan_actions": answers_for or is_team,
            "is_team": is_team,
            "is_clinician": is_team and user.role == Role.CLINICIAN,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_taper(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "taper-new"})
    if request.user.role != Role.CLINICIAN:
        raise Http404("Not found.")
    today = clock.clinic_today(patient.care_team.site)
    schedule = None
    if request.method == "POST":
        form = TaperPlanForm(request.POST)
        if form.is_valid():
            regimen, pace = form.regimen(), form.cleaned_data["pace"]
            start_on, target = form.cleaned_data["start_on"], form.cleaned_data["target_mme"]
            try:
                if "create" in request.POST:
                    with transaction.atomic():
                        services.create_taper_plan(
                            patient,
                            regimen=regimen,
                            pace=pace,
                            start_on=start_on,
                            by=request.user,
                            target_mme=target,
                        )
                    messages.success(request, _("The taper plan is saved."))
                    return redirect("careplans:plan", registry_id=patient.registry_id)
                schedule = services.preview_schedule(regimen, pace, start_on, target)
            except ValidationError as error:
                show_service_error(request, error, form)
    else:
        form = TaperPlanForm(initial={"start_on": today})
        med = next((m for m in services.medications_on(patient, today) if m.is_opioid), None)
        if med is not None:
            form.initial.update(
                drug=med.drug,
                unit=med.unit,
                daily_amount=f"{(med.strength * (med.per_day or 1)).normalize():f}",
                dose_unit=f"{med.strength.normalize():f}",
                doses_per_day=int(med.per_day or 1),
            )
    paces = [
        (key, pace, PACE_EXPLANATIONS.get(key, ""), form["pace"].value() == key)
        for key, pace in PACES.items()
    ]
    return render(
        request,
        "careplans/taper_new.html",
        {
            "patient": patient,
            "form": form,
            "paces": paces,
            "schedule": schedule,
            "open_plan": services.open_plan(patient),
        },
    )


@login_required
def calendar(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "taper-calendar"})
    plan = services.latest_plan(patient)
    steps = []
    if plan is not None:
        steps = list(
            plan.steps.exclude(status__in=[StepStatus.HELD, StepStatus.SLOWED]).order_by(
                "due_on", "number"
            )
        )
    return render(
        request,
        "careplans/calendar.html",
        {
            "patient": patient,
            "plan": plan,
            "steps": steps,
            "end_note": str(END_NOTES.get(EndReason(plan.end_reason), ""))
            if plan and plan.end_reason
            else "",
            "unit": plan.regimen.get("unit", "mg") if plan else "mg",
            "zone": patient.care_team.site.time_zone,
            "today": clock.clinic_today(patient.care_team.site),
            "can_ask": plan is not None
            and plan.status in (PlanStatus.ACTIVE, PlanStatus.PAUSED)
            and can_answer_for(request.user, patient),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ask(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "taper-request"})
    if not can_answer_for(request.user, patient):
        raise Http404("Not found.")
    plan = services.open_plan(patient)
    if plan is None:
        raise Http404("No taper plan.")
    form = TaperRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                made = services.request_change(
                    plan, form.cleaned_data["kind"], form.cleaned_data["text"], request.user
                )
            messages.success(
                request,
                services.request_message(made)
                + " "
                + _("Your team will answer by %(day)s.")
                % {"day": date_format(made.respond_by, _("j F Y"))},
            )
            return redirect("careplans:plan", registry_id=patient.registry_id)
        except ValidationError as error:
            show_service_error(request, error, form)
    return render(
        request,
        "careplans/ask.html",
        {"patient": patient, "plan": plan, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, registry_id: str, request_id: int):
    patient = get_patient_for(request.user, registry_id, detail={"page": "taper-answer"})
    if request.user.role not in TEAM:
        raise Http404("Not found.")
    asked = get_object_or_404(
        TaperRequest.objects.select_related("plan", "requested_by"),
        pk=request_id,
        plan__patient=patient,
    )
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.answer_request(asked, answer=form.cleaned_data["answer"], by=request.user)
            messages.success(request, _("Your answer is recorded and the alert is closed."))
            return redirect("careplans:plan", registry_id=patient.registry_id)
        except ValidationError as error:
            show_service_error(request, error, form)
    return render(
        request,
        "careplans/answer.html",
        {"patient": patient, "asked": asked, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def next_step(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "taper-next-step"})
    if request.user.role not in TEAM:
        raise Http404("Not found.")
    plan = services.open_plan(patient)
    if plan is None:
        raise Http404("No taper plan.")
    suggestion = services.suggest_for_next_step(plan)
    form = DecisionForm(request.POST or None, initial={"decision": suggestion.kind.value})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.record_decision(
                    plan,
                    suggestion=suggestion,
                    decision=form.cleaned_data["decision"],
                    by=request.user,
                    why=form.cleaned_data["why"],
                )
            messages.success(request, _("The decision is recorded."))
            return redirect("careplans:plan", registry_id=patient.registry_id)
        except ValidationError as error:
            show_service_error(request, error, form)
    return render(
        request,
        "careplans/next_step.html",
        {
            "patient": patient,
            "plan": plan,
            "suggestion": suggestion,
            "suggestion_label": dict(Decision.choices)[suggestion.kind.value],
            "step": services.next_step(plan),
            "state": services.plan_state(plan),
            "form": form,
        },
    )
