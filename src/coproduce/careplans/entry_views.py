"""Pages that enter the care plan: medicines (team), the patient's check of them, goals and
actions. Each one parses, calls one service and redirects; not allowed answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.careplans import goals, services
from coproduce.careplans.forms import (
    ActionItemForm,
    GoalForm,
    MedicationCheckForm,
    MedicationForm,
    StopMedicationForm,
)
from coproduce.careplans.mme import NOT_A_CONVERSION_NOTE, MMEError, load_table, total_mme
from coproduce.careplans.models import ActionItem, Goal, GoalKind, Medication
from coproduce.people.access import can_answer_for, get_patient_for
from coproduce.platform import clock
from coproduce.platform.http import show_service_error


def _to_plan(patient):
    return redirect("careplans:plan", registry_id=patient.registry_id)


def _team_only(user, patient) -> None:
    if not goals.is_team_member(user, patient):
        raise Http404("Not found.")


def _current_medication(patient, medication_id: int) -> Medication:
    return get_object_or_404(Medication, pk=medication_id, patient=patient, stopped_on__isnull=True)


def _dose_warning(request, medication: Medication) -> None:
    if medication.dose_alert is not None:
        messages.warning(
            request,
            medication.dose_alert.reason_shown + " " + _("An alert is on the team's queue."),
        )


# --- Medicines, entered by the team ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def medication_new(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "medication-new"})
    _team_only(request.user, patient)
    return _medication_page(request, patient, None)


@login_required
@require_http_methods(["GET", "POST"])
def medication_change(request, registry_id: str, medication_id: int):
    patient = get_patient_for(request.user, registry_id, detail={"page": "medication-change"})
    _team_only(request.user, patient)
    return _medication_page(request, patient, _current_medication(patient, medication_id))


def _medication_page(request, patient, replaces: Medication | None):
    preview = None
    if request.method == "POST":
        form = MedicationForm(request.POST)
        if form.is_valid():
            if "save" in request.POST:
                try:
                    with transaction.atomic():
                        med = services.record_medication(
                            patient, **form.record_kwargs(), by=request.user, replaces=replaces
                        )
                    messages.success(
                        request,
                        f"Saved: {med.drug} {med.strength.normalize():f} "
                        f"{med.unit}. The patient will be asked to confirm it.",
                    )
                    _dose_warning(request, med)
                    return _to_plan(patient)
                except ValidationError as error:
                    show_service_error(request, error, form)
            else:
                preview = _preview(request, patient, form, replaces)
    else:
        initial: dict = {"started_on": clock.clinic_today(patient.care_team.site)}
        if replaces is not None:
            initial.update(
                kind="opioid" if replaces.is_opioid else "other",
                drug=replaces.drug,
                strength=f"{replaces.strength.normalize():f}",
                unit=replaces.unit,
                per_day="" if replaces.per_day is None else f"{replaces.per_day.normalize():f}",
            )
        form = MedicationForm(initial=initial)
    return render(
        request,
        "careplans/medication_form.html",
        {
            "patient": patient,
            "form": form,
            "replaces": replaces,
            "preview": preview,
            "drugs": sorted(load_table().drugs),
            "not_a_conversion": _(NOT_A_CONVERSION_NOTE),
        },
    )


def _preview(request, patient, form: MedicationForm, replaces: Medication | None) -> dict | None:
    """This line's MME and the total it would make, computed by mme.py; nothing is stored
    (None when it cannot be computed: the form's error summary says why)."""
    on = form.cleaned_data["started_on"]
    others = [
        m
        for m in services.medications_on(patient, on)
        if m.is_opioid and (replaces is None or m.pk != replaces.pk)
    ]
    lines = [m.as_line() for m in others]
    line = form.line
    if line is not None:
        lines.append(
            {
                "drug": line.drug,
                "strength": line.strength,
                "unit": line.unit,
                "per_day": line.per_day,
            }
        )
    try:
        before = services.current_mme(patient, on)
        after = total_mme(lines).total_mme
    except MMEError as error:
        show_service_error(request, error, form)
        return None
    return {"line": line, "before": before, "after": after, "on": on}


@login_required
@require_http_methods(["GET", "POST"])
def medication_stop(request, registry_id: str, medication_id: int):
    patient = get_patient_for(request.user, registry_id, detail={"page": "medication-stop"})
    _team_only(request.user, patient)
    med = _current_medication(patient, medication_id)
    today = clock.clinic_today(patient.care_team.site)
    form = StopMedicationForm(request.POST or None, initial={"stopped_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.stop_medication(med, on=form.cleaned_data["stopped_on"], by=request.user)
            messages.success(request, f"Stopped: {med}.")
            _dose_warning(request, med)
            return _to_plan(patient)
        except ValidationError as error:
            show_service_error(request, error, form)
    return render(
        request, "careplans/medication_stop.html", {"patient": patient, "med": med, "form": form}
    )


# --- "Is this what you take?" (patient or parent) -----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def medication_check(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "medication-check"})
    if not can_answer_for(request.user, patient):
        raise Http404("Not found.")
    failed: int | None = None  # the medication whose answer was refused
    form = None
    if request.method == "POST":
        form = MedicationCheckForm(request.POST)
        if form.is_valid():
            med = _current_medication(patient, form.cleaned_data["medication"])
            try:
                with transaction.atomic():
                    if form.cleaned_data["answer"] == "yes":
                        services.confirm_medication(med, by=request.user)
                        messages.success(request, f"Thank you: {med} is confirmed.")
                    else:
                        services.report_medication_problem(
                            med, form.cleaned_data["note"], by=request.user
                        )
                        messages.success(
                            request,
                            _(
                                "Thank you. Your note is with your care team; they will look at "
                                "it within 3 days. Keep taking your medicines as before until "
                                "they talk with you."
                            ),
                        )
                return redirect("careplans:medication-check", registry_id=patient.registry_id)
            except ValidationError as error:
                failed = med.pk  # its error summary is shown beside it
                show_service_error(request, error, form)
    meds = services.medications_on(patient, clock.clinic_today(patient.care_team.site))
    return render(
        request,
        "careplans/medication_check.html",
        {"patient": patient, "meds": meds, "failed": failed, "form": form},
    )


# --- Goals and actions -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def goal_new(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "goal-new"})
    if can_answer_for(request.user, patient):
        kind = GoalKind.PATIENT
    elif goals.is_team_member(request.user, patient):
        kind = GoalKind.CLINICAL
    else:
        raise Http404("Not found.")
    form = GoalForm(request.POST or None)
    del form.fields["status"]
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                goals.add_goal(patient, by=request.user, kind=kind, **form.cleaned_data)
            messages.success(request, _("The goal is on the care plan."))
            return _to_plan(patient)
        except ValidationError as error:
            show_service_error(request, error, form)
    return _goal_page(request, patient, form, kind, None)


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, registry_id: str, goal_id: int):
    patient = get_patient_for(request.user, registry_id, detail={"page": "goal-edit"})
    goal = get_object_or_404(Goal, pk=goal_id, patient=patient)
    if not goals.may_write_goal(request.user, patient, goal.kind):
        raise Http404("Not found.")
    initial = {
        "text": goal.text,
        "instrument_id": goal.instrument_id,
        "comparator": goal.comparator,
        "target_value": goal.target_value,
        "status": goal.status,
    }
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                goals.update_goal(goal, by=request.user, **form.cleaned_data)
            messages.success(request, _("The goal is updated."))
            return _to_plan(patient)
        except ValidationError as error:
            show_service_error(request, error, form)
    return _goal_page(request, patient, form, goal.kind, goal)


def _goal_page(request, patient, form, kind, goal):
    return render(
        request,
        "careplans/goal_form.html",
        {
            "patient": patient,
            "form": form,
            "kind": kind,
            "goal": goal,
            "own_words": kind == GoalKind.PATIENT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_new(request, registry_id: str):
    patient = get_patient_for(request.user, registry_id, detail={"page": "action-new"})
    if not goals.may_plan_actions(request.user, patient):
        raise Http404("Not found.")
    form = ActionItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                goals.add_action(patient, by=request.user, **form.cleaned_data)
            messages.success(request, _("The action is on the care plan."))
            return _to_plan(patient)
        except ValidationError as error:
            show_service_error(request, error, form)
    return render(request, "careplans/action_form.html", {"patient": patient, "form": form})


@login_required
@require_POST
def action_done(request, registry_id: str, action_id: int):
    patient = get_patient_for(request.user, registry_id, detail={"page": "action-done"})
    if not goals.may_plan_actions(request.user, patient):
        raise Http404("Not found.")
    item = get_object_or_404(ActionItem, pk=action_id, patient=patient)
    done = request.POST.get("done") != "0"
    with transaction.atomic():
        goals.set_action_done(item, by=request.user, done=done)
    messages.success(request, f"{'Done' if done else 'Marked not done'}: {item.what}")
    return _to_plan(patient)
