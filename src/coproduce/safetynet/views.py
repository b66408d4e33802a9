"""The care team's alert queue: thin views over safetynet.services."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.people.models import CARE_ROLES, Site
from coproduce.platform import clock
from coproduce.platform.http import role_required, show_service_error
from coproduce.platform.models import Priority
from coproduce.safetynet import explain, queue, reach, services
from coproduce.safetynet.models import AlertStatus

CARE = CARE_ROLES


def _require_care(view):
    return role_required(*CARE)(view)


def _without_page(query: QueryDict) -> str:
    rest = query.copy()
    rest.pop("page", None)
    return rest.urlencode()


def _queue(request, *, status: int = 200):
    user, now = request.user, clock.now()
    teams = list(user.care_teams.select_related("site").order_by("name"))
    context: dict = {"burden_days": services.BURDEN_DAYS}
    if request.GET.get("show") == "resolved":
        resolved = list(
            services.alerts_visible_to(user)
            .filter(status=AlertStatus.RESOLVED)
            .select_related("patient", "assigned_to")
            .order_by("-resolved_at")[:50]
        )
        context |= {"resolved": True, "alerts": resolved}
        shown = {a.patient.registry_id for a in resolved}
    else:
        everything = queue.group_alerts(
            queue.rows_of(services.alerts_visible_to(user).exclude(status=AlertStatus.RESOLVED))
        )
        filters = queue.Filters.from_query(request.GET, [t.pk for t in teams])
        page = Paginator(queue.apply(everything, filters, user, now), queue.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        counts = queue.counts(everything, filters, user, now)
        queue.load_alerts(page.object_list, now)
        context |= {
            "resolved": False,
            "items": page.object_list,
            "page": page,
            "filters": filters,
            "total": len(everything),
            "priorities": [
                (value, label, counts["priority"].get(value, 0))
                for value, label in Priority.choices
            ],
            "team_choices": [(t, counts["team"].get(t.pk, 0)) for t in teams],
            "ages": [(key, label, counts["age"].get(key, 0)) for key, label, *_ in queue.AGES],
            "mine_count": counts["mine"][True],
            "query": request.GET.urlencode(),
            "paged_query": _without_page(request.GET),
            "now": now,
        }
        shown = {item.patient.registry_id for item in page.object_list}
    record("alert.listed", actor=user, detail={"registry_ids": sorted(shown)})
    context["burden"] = services.alert_burden(teams)
    return render(request, "safetynet/queue.html", context, status=status)


@_require_care
def alert_queue(request):
    return _queue(request)


@require_POST
@_require_care
def acknowledge_selected(request):
    back = reverse("alert-queue")
    query = QueryDict(request.POST.get("query", ""))
    if query:
        back += "?" + query.urlencode()
    try:
        with transaction.atomic():
            done = services.acknowledge_selected(
                actor=request.user, alert_ids=request.POST.getlist("alert")
            )
    except ValidationError as exc:
        request.GET = query  # show the queue as it was
        show_service_error(request, exc)
        return _queue(request, status=400)
    messages.success(
        request,
        ngettext("%(n)d alert acknowledged.", "%(n)d alerts acknowledged.", len(done))
        % {"n": len(done)},
    )
    return redirect(back)


def _tel(phone: str) -> str:
    """A phone number as a tel: link target (digits and a leading +)."""
    digits = re.sub(r"[^\d+]", "", phone)
    return f"tel:{digits[0]}{digits[1:].replace('+', '')}" if digits else ""


def _detail(request, alert, *, status: int = 200):
    response = alert.response
    patient = alert.patient
    zone = patient.care_team.site.zone
    scores = list(response.scores.order_by("instrument_id")) if response else []
    trends = services.recent_trends(patient, [s.instrument_id for s in scores])
    group = services.alert_group(alert)
    others = [a for a in group if a.pk != alert.pk]
    answers = explain.answers_of(response, scores)
    titles = explain.rule_titles([alert, *others])
    fired_keys = {
        f"{args[0]}|{args[1]}"
        for a in (alert, *others)
        for _key, fact, args, _value in explain.trace_of(a)
        if fact == "item" and len(args) == 2
    }
    return render(
        request,
        "safetynet/detail.html",
        {
            "alert": alert,
            "patient": patient,
            "tel": _tel(patient.phone),
            "response": response,
            "why": explain.why(alert, answers),
            "title": titles[alert.pk],
            "trace": explain.trace_of(alert),
            "others": [(a, explain.why(a, answers), titles[a.pk]) for a in others],
            "group": group,
            "group_open": any(a.status == AlertStatus.OPEN for a in group),
            "group_snoozable": any(not services.is_crisis_alert(a) for a in group),
            "answers": explain.answered(scores, answers),
            "fired_keys": fired_keys,
            "charts": explain.trend_charts(trends, zone=zone, today=clock.today(zone)),
            "trends": trends,
            "snoozes": services.active_snoozes(alert.patient_id),
            "members": list(services.team_members(alert.care_team_id)),
            "max_snooze": services.MAX_SNOOZE_DAYS,
            "zone": zone,
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
        show_service_error(request, exc)
        return _detail(request, alert, status=400)
    messages.success(request, done)
    return redirect("alert-detail", pk=alert.pk)


@require_POST
@_require_care
def acknowledge(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.acknowledge_item(actor=request.user, alert=a),
        _("Alert acknowledged."),
    )


@require_POST
@_require_care
def resolve(request, pk: int):
    taken = {"yes": True, "no": False}.get(request.POST.get("action_taken", ""))
    return _act(
        request,
        pk,
        lambda a: services.resolve_item(
            actor=request.user, alert=a, note=request.POST.get("note", ""), action_taken=taken
        ),
        _("Alert resolved."),
    )


@require_POST
@_require_care
def snooze(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.snooze_item(
            actor=request.user,
            alert=a,
            days=request.POST.get("days"),
            reason=request.POST.get("reason", ""),
        ),
        _("Snoozed for this patient. The team can see the snooze on the alert page."),
    )


@require_POST
@_require_care
def reassign(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.reassign_item(
            actor=request.user, alert=a, to_user_id=request.POST.get("to")
        ),
        _("Alert reassigned."),
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
        show_service_error(request, exc)
    else:
        to = ", ".join(a.to for a in sent)
        messages.success(
            request,
            _("A test alert to %(to)s is in the outbox; it goes out within a minute.") % {"to": to},
        )
    return redirect("admin:people_site_change", site.pk)
