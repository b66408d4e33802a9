"""The care team's alert queue: thin views over safetynet.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.people.models import Role, Site
from coproduce.platform import clock
from coproduce.safetynet import reach, services
from coproduce.safetynet.models import AlertStatus
from coproduce.web.decorators import role_required

CARE = (Role.CLINICIAN, Role.NURSE, Role.COORDINATOR)


def _require_care(view):
    return role_required(*CARE)(view)


@_require_care
def alert_queue(request):
    resolved = request.GET.get("show") == "resolved"
    visible = services.alerts_visible_to(request.user).select_related("patient", "assigned_to")
    if resolved:
        visible = visible.filter(status=AlertStatus.RESOLVED).order_by("-resolved_at")[:50]
    else:
        visible = visible.exclude(status=AlertStatus.RESOLVED).order_by("priority", "created_at")
    alerts = list(visible)
    teams = list(request.user.care_teams.select_related("site").order_by("name"))
    record(
        "alert.listed",
        actor=request.user,
        detail={"registry_ids": sorted({a.patient.registry_id for a in alerts})},
    )
    return render(
        request,
        "safetynet/queue.html",
        {
            "alerts": alerts,
            "resolved": resolved,
            "burden": services.alert_burden(teams),
            "burden_days": services.BURDEN_DAYS,
        },
    )


def _detail(request, alert, *, error: str = "", status: int = 200):
    response = alert.response
    scores = list(response.scores.order_by("instrument_id")) if response else []
    trends = services.recent_trends(alert.patient, [s.instrument_id for s in scores])
    return render(
        request,
        "safetynet/detail.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "response": response,
            "scores": scores,
            "trends": trends,
            "snoozes": services.active_snoozes(alert.patient_id),
            "members": list(services.team_members(alert.care_team_id)),
            "max_snooze": services.MAX_SNOOZE_DAYS,
            "zone": alert.patient.care_team.site.zone,
            "error": error,
        },
        status=status,
    )


@_require_care
def alert_detail(request, pk: int):
    return _detail(request, services.get_alert_for(request.user, pk))


def _act(request, pk: int, action, done: str):
    alert = services.get_alert_for(request.user, pk, audit=False)
    try:
        with transaction.atomic():
            action(alert)
    except ValidationError as exc:
        alert.refresh_from_db()
        return _detail(request, alert, error=" ".join(exc.messages), status=400)
    messages.success(request, done)
    return redirect("alert-detail", pk=alert.pk)


@require_POST
@_require_care
def acknowledge(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.acknowledge_alert(actor=request.user, alert=a),
        "Alert acknowledged.",
    )


@require_POST
@_require_care
def resolve(request, pk: int):
    taken = {"yes": True, "no": False}.get(request.POST.get("action_taken", ""))
    return _act(
        request,
        pk,
        lambda a: services.resolve_alert(
            actor=request.user, alert=a, note=request.POST.get("note", ""), action_taken=taken
        ),
        "Alert resolved.",
    )


@require_POST
@_require_care
def snooze(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.snooze(
            actor=request.user,
            alert=a,
            days=request.POST.get("days"),
            reason=request.POST.get("reason", ""),
        ),
        "Snoozed for this patient. The team can see the snooze on the alert page.",
    )


@require_POST
@_require_care
def reassign(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.reassign(actor=request.user, alert=a, to_user_id=request.POST.get("to")),
        "Alert reassigned.",
    )


@require_POST
def site_test_alert(request, pk: int):
    """The "send a test alert" button of a site's settings (in the admin)."""
    if not request.user.has_perm("people.change_site"):
        raise Http404("No such site.")  # as for a site that does not exist
    site = get_object_or_404(Site, pk=pk)
    try:
        with transaction.atomic():
            sent = reach.send_test_alert(actor=request.user, site=site, now=clock.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        to = ", ".join(a.to for a in sent)
        messages.success(
            request,
            _("A test alert to %(to)s is in the outbox; it goes out within a minute.") % {"to": to},
        )
    return redirect("admin:people_site_change", site.pk)
