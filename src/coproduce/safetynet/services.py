"""Care-team actions on alerts (each saves and audits; the caller owns the transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import CARE_ROLES, CareTeam, User
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.engine import CRISIS_RULE_ID, notify
from coproduce.safetynet.models import Alert, AlertStatus, Snooze
from coproduce.safetynet.recipients import user_address

MAX_SNOOZE_DAYS = 30  # UAB let nurses snooze an expected symptom for up to a month
BURDEN_DAYS = 30


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Return the alerts of `user`'s care teams (none for anyone outside a care role)."""
    if not getattr(user, "is_authenticated", False) or user.role not in CARE_ROLES:
        return Alert.objects.none()
    return Alert.objects.filter(care_team__in=user.care_teams.all())


def get_alert_for(user: User, pk: int, *, audit: bool = True) -> Alert:
    """Return an alert of the user's teams, auditing the view; otherwise raise Http404.

    Actions pass audit=False: the action's own audit row says who touched what.
    """
    try:
        alert = (
            alerts_visible_to(user)
            .select_related("patient__care_team__site", "assigned_to", "acknowledged_by")
            .select_related("resolved_by", "response")
            .get(pk=pk)
        )
    except Alert.DoesNotExist:
        raise Http404("No such alert.") from None
    if audit:
        record("alert.viewed", actor=user, patient=alert.patient, obj=alert)
    return alert


def is_crisis_alert(alert: Alert) -> bool:
    """Whether `alert` is about thoughts of self-harm (never snoozed)."""
    return alert.rule_id == CRISIS_RULE_ID or bool((alert.data or {}).get("crisis", False))


def acknowledge_alert(*, actor: User, alert: Alert, now: dt.datetime | None = None) -> Alert:
    """Mark an open alert as seen by `actor` (who takes it if nobody has)."""
    if alert.status != AlertStatus.OPEN:
        raise ValidationError("This alert has already been acknowledged.")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now or clock.now()
    alert.acknowledged_by = actor
    alert.assigned_to = alert.assigned_to or actor
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "assigned_to"])
    in_time = alert.ack_due_at is None or alert.acknowledged_at <= alert.ack_due_at
    record(
        "alert.acknowledged",
        actor=actor,
        patient=alert.patient,
        obj=alert,
        detail={"in_time": in_time},
    )
    return alert


def resolve_alert(
    *,
    actor: User,
    alert: Alert,
    note: str,
    action_taken: bool | None,
    now: dt.datetime | None = None,
) -> Alert:
    """Close an alert with a note and whether anything was done about it."""
    note = (note or "").strip()
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError("This alert is already resolved.")
    if not note:
        raise ValidationError("Write a short note saying what was done or why nothing was.")
    if action_taken is None:
        raise ValidationError("Say whether any action was taken (yes or no).")
    now = now or clock.now()
    if alert.status == AlertStatus.OPEN:  # resolving implies it was seen
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by = now, actor
    alert.resolution_note, alert.action_taken = note, action_taken
    alert.save()
    record(
        "alert.resolved",
        actor=actor,
        patient=alert.patient,
        obj=alert,
        detail={"action_taken": action_taken},
    )
    return alert


def snooze(
    *,
    actor: User,
    alert: Alert,
    days: Any,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Snooze:
    """Stop alerts from this alert's rule for its patient for 1..30 days."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError("Give the number of days as a whole number from 1 to 30.") from None
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise ValidationError(
            f"A snooze lasts 1 to {MAX_SNOOZE_DAYS} days; after that, look at the symptom again."
        )
    if is_crisis_alert(alert):
        raise ValidationError("Alerts about thoughts of self-harm cannot be snoozed.")
    now = now or clock.now()
    reason = (reason or "").strip() or f"Expected: {alert.reason}"
    snoozed = Snooze.objects.create(
        patient=alert.patient,
        rule_id=alert.rule_id,
        until=now + dt.timedelta(days=days),
        reason=reason[:300],
        created_by=actor,
        created_at=now,
    )
    record(
        "alert.snoozed",
        actor=actor,
        patient=alert.patient,
        obj=snoozed,
        detail={"rule": alert.rule_id, "days": days, "alert": alert.pk},
    )
    return snoozed


def active_snoozes(patient_id: int, now: dt.datetime | None = None) -> list[Snooze]:
    return list(
        Snooze.objects.filter(patient_id=patient_id, until__gt=now or clock.now())
        .select_related("created_by")
        .order_by("until")
    )


def team_members(care_team_id: int) -> QuerySet[User]:
    return User.objects.filter(
        memberships__care_team_id=care_team_id, is_active=True, role__in=CARE_ROLES
    ).order_by("last_name", "first_name")


def reassign(
    *, actor: User, alert: Alert, to_user_id: Any, now: dt.datetime | None = None
) -> Alert:
    """Give the alert to another member of its care team (who is told if it is urgent)."""
    try:
        to_user = team_members(alert.care_team_id).get(pk=int(to_user_id))
    except (TypeError, ValueError, User.DoesNotExist):
        raise ValidationError("Choose a member of this patient's care team.") from None
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError("A resolved alert cannot be reassigned.")
    previous = alert.assigned_to_id
    alert.assigned_to = to_user
    alert.save(update_fields=["assigned_to"])
    record(
        "alert.reassigned",
        actor=actor,
        patient=alert.patient,
        obj=alert,
        detail={"from": previous, "to": to_user.pk, "to_username": to_user.username},
    )
    if alert.priority == Priority.URGENT and to_user.email:
        notify(
            alert,
            [user_address(to_user)],
            purpose="alert",
            key=f"reassign:a{alert.pk}:{(now or clock.now()).isoformat()}",
            now=now or clock.now(),
        )
    return alert


# --- Acting on a queue item: every unresolved alert of the check-in at once -----------------


def alert_group(alert: Alert) -> list[Alert]:
    """The unresolved alerts raised by `alert`'s check-in (itself first if it is unresolved).

    One check-in's alerts are one item in the queue, so an action on one acts on all of them;
    each keeps its own audit row. An alert raised without a check-in is a group of one.
    """
    if alert.response_id is None:
        return [alert]
    others = list(
        Alert.objects.filter(response_id=alert.response_id, care_team_id=alert.care_team_id)
        .exclude(pk=alert.pk)
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("patient")
        .order_by("priority", "created_at", "pk")
    )
    return [alert, *others] if alert.status != AlertStatus.RESOLVED else others


def acknowledge_item(*, actor: User, alert: Alert, now: dt.datetime | None = None) -> list[Alert]:
    """Acknowledge every open alert of `alert`'s check-in."""
    now = now or clock.now()
    opened = [a for a in alert_group(alert) if a.status == AlertStatus.OPEN]
    if not opened:
        raise ValidationError(_("This alert has already been acknowledged."))
    return [acknowledge_alert(actor=actor, alert=a, now=now) for a in opened]


def resolve_item(
    *,
    actor: User,
    alert: Alert,
    note: str,
    action_taken: bool | None,
    now: dt.datetime | None = None,
) -> list[Alert]:
    """Resolve every unresolved alert of `alert`'s check-in with one note."""
    now = now or clock.now()
    group = alert_group(alert)
    if not group:
        raise ValidationError(_("This alert is already resolved."))
    return [
        resolve_alert(actor=actor, alert=a, note=note, action_taken=action_taken, now=now)
        for a in group
    ]


def reassign_item(
    *, actor: User, alert: Alert, to_user_id: Any, now: dt.datetime | None = None
) -> list[Alert]:
    """Give every unresolved alert of `alert`'s check-in to one member of the team."""
    now = now or clock.now()
    group = alert_group(alert) or [alert]  # (a resolved alert: reassign says why not)
    return [reassign(actor=actor, alert=a, to_user_id=to_user_id, now=now) for a in group]


def snooze_item(
    *, actor: User, alert: Alert, days: Any, reason: str = "", now: dt.datetime | None = None
) -> list[Snooze]:
    """Snooze the rules of `alert`'s check-in, except those about thoughts of self-harm."""
    now = now or clock.now()
    group = alert_group(alert) or [alert]
    rules = {a.rule_id: a for a in group if not is_crisis_alert(a)}
    if not rules:  # every alert is a crisis alert: snooze says why not
        return [snooze(actor=actor, alert=alert, days=days, reason=reason, now=now)]
    return [snooze(actor=actor, alert=a, days=days, reason=reason, now=now) for a in rules.values()]


def acknowledge_selected(
    *, actor: User, alert_ids: list[Any], now: dt.datetime | None = None
) -> list[Alert]:
    """Acknowledge the chosen queue items (each with every open alert of its check-in).

    Never urgent ones: an urgent alert is acknowledged on its own page, after reading it.
    If any chosen item holds an urgent alert, nothing is acknowledged.
    """
    try:
        ids = {int(pk) for pk in alert_ids}
    except (TypeError, ValueError):
        raise ValidationError(_("Choose alerts from the queue.")) from None
    chosen = list(alerts_visible_to(actor).filter(pk__in=ids).exclude(status=AlertStatus.RESOLVED))
    if not chosen:
        raise ValidationError(_("Choose at least one alert to acknowledge."))
    responses = {a.response_id for a in chosen if a.response_id}
    group = {
        a.pk: a
        for a in alerts_visible_to(actor)
        .filter(Q(pk__in=[a.pk for a in chosen]) | Q(response_id__in=responses))
        .filter(status=AlertStatus.OPEN)
        .select_related("patient")
    }
    urgent = [a for a in group.values() if a.priority == Priority.URGENT]
    if urgent or any(a.priority == Priority.URGENT for a in chosen):
        raise ValidationError(
            _(
                "Urgent alerts are never acknowledged in bulk: open each urgent alert and "
                "acknowledge it there. Nothing was acknowledged."
            )
        )
    now = now or clock.now()
    return [acknowledge_alert(actor=actor, alert=a, now=now) for a in group.values()]


def alert_burden(teams: list[CareTeam], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Return per-team alert figures over the last 30 days (two queries, any number of teams).

    Alerts per 100 check-ins; % of alerts with a due time acknowledged by it (of those due by
    now or acknowledged); % of resolved alerts resolved with an action.
    """
    now = now or clock.now()
    since = now - dt.timedelta(days=BURDEN_DAYS)
    ids = [t.pk for t in teams]
    checkins = dict(
        CheckinResponse.objects.filter(patient__care_team_id__in=ids, submitted_at__gte=since)
        .values_list("patient__care_team_id")
        .annotate(n=Count("pk"))
        .values_list("patient__care_team_id", "n")
    )
    due = Q(ack_due_at__isnull=False) & (Q(ack_due_at__lte=now) | Q(acknowledged_at__isnull=False))
    rows = {
        r["care_team_id"]: r
        for r in Alert.objects.filter(care_team_id__in=ids, created_at__gte=since)
        .values("care_team_id")
        .annotate(
            alerts=Count("pk"),
            due=Count("pk", filter=due),
            in_time=Count("pk", filter=due & Q(acknowledged_at__lte=F("ack_due_at"))),
            resolved=Count("pk", filter=Q(status=AlertStatus.RESOLVED)),
            with_action=Count("pk", filter=Q(status=AlertStatus.RESOLVED, action_taken=True)),
        )
    }

    def pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    figures = []
    for team in teams:
        r: dict[str, Any] = dict(rows.get(team.pk, {}))
        n_checkins, n_alerts = checkins.get(team.pk, 0), r.get("alerts", 0)
        figures.append(
            {
                "team": team,
                "checkins": n_checkins,
                "alerts": n_alerts,
                "per_100": pct(n_alerts, n_checkins),
                "ack_in_time": pct(r.get("in_time", 0), r.get("due", 0)),
                "with_action": pct(r.get("with_action", 0), r.get("resolved", 0)),
            }
        )
    return figures


#: How many recent scores of each instrument the alert page shows as its trend.
TREND_POINTS = 12


def recent_trends(patient, instruments: list[str], points: int = TREND_POINTS):
    """Return each instrument's last `points` scores, oldest first, in one query."""
    rows = (
        Score.objects.filter(patient=patient, instrument_id__in=instruments)
        .annotate(
            recent=Window(RowNumber(), partition_by=[F("instrument_id")], order_by=F("at").desc())
        )
        .filter(recent__lte=points)
        .order_by("instrument_id", "at")
    )
    trends: dict[str, list[Score]] = {instrument: [] for instrument in instruments}
    for row in rows:
        trends[row.instrument_id].append(row)
    return trends
