"""Study data pages: outcomes, export requests and downloads, data-quality queries.

Thin views over outcomes.py, exports.py and quality.py; 404 for anyone who may not see.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.audit.services import record
from coproduce.people.models import EXPORT_ROLES, Role
from coproduce.platform import clock
from coproduce.platform.http import role_required, show_service_error
from coproduce.research import access, exports, outcomes, quality
from coproduce.research.datamodels import QueryStatus, RequestStatus
from coproduce.research.export import DICTIONARY_HEADER, FORMATS, dictionary_rows

STUDY_ROLES = access.STUDY_ROLES
COORDINATOR = (Role.COORDINATOR,)


@never_cache
@role_required(*STUDY_ROLES)
def outcome_page(request, slug: str):
    study = access.get_study_for(request.user, slug)
    coordinator = request.user.role == Role.COORDINATOR
    rows = outcomes.analysed(study)
    if coordinator:
        rows = rows.filter(pk__in=access.participants_for(request.user, study).values("pk"))
    defined = outcomes.TAPERING_SUCCESS in study.outcomes
    results = outcomes.participant_outcomes(rows) if defined else []
    record(
        "research.outcomes_viewed",
        actor=request.user,
        detail={
            "study": study.slug,
            "registry_ids": sorted(o.participant.patient.registry_id for o in results)
            if coordinator
            else [],
        },
    )
    return render(
        request,
        "research/outcomes.html",
        {
            "study": study,
            "defined": defined,
            "definition": outcomes.DEFINITIONS[outcomes.TAPERING_SUCCESS],
            "table": outcomes.arm_table(results, study, small_cells=coordinator),
            "results": results if coordinator else None,
            "suppressed": not coordinator,
        },
    )


@never_cache
@role_required(*EXPORT_ROLES)
def export_page(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=EXPORT_ROLES)
    return render(
        request,
        "research/exports.html",
        {
            "study": study,
            "requests": exports.requests_for(request.user, study),
            "formats": FORMATS,
            "Status": RequestStatus,
        },
    )


@role_required(*EXPORT_ROLES)
def dictionary(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=EXPORT_ROLES)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DICTIONARY_HEADER)
    writer.writerows(dictionary_rows(include_free_text=True, study=study))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-data_dictionary.csv"'
    return response


@require_POST
@role_required(Role.RESEARCHER)
def export_request(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=(Role.RESEARCHER,))
    try:
        with transaction.atomic():
            exports.request_export(
                study,
                by=request.user,
                purpose=request.POST.get("purpose", ""),
                fmt=request.POST.get("fmt", ""),
                include_free_text=request.POST.get("include_free_text") == "yes",
            )
    except ValidationError as exc:
        show_service_error(request, exc)
    else:
        messages.success(request, _("Your request is with the study's PI."))
    return redirect("research:exports", slug=study.slug)


@require_POST
@role_required(Role.INVESTIGATOR)
def export_decide(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=(Role.INVESTIGATOR,))
    row = get_object_or_404(exports.requests_for(request.user, study), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        with transaction.atomic():
            exports.decide(row, by=request.user, approve=approve, note=request.POST.get("note", ""))
    except ValidationError as exc:
        show_service_error(request, exc)
    else:
        messages.success(
            request,
            _("Approved: the export is ready for the researcher.")
            if approve
            else _("Refused: the researcher sees your note."),
        )
    return redirect("research:exports", slug=study.slug)


@never_cache
@role_required(Role.RESEARCHER)
def export_download(request, slug: str, pk: int):
    row, data = exports.download_for(request.user, slug, pk)
    response = HttpResponse(data, content_type="application/zip")
    name = f"{row.study.slug}-export-{row.pk}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@role_required(*COORDINATOR)
def quality_page(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    queries = quality.queries_for(access.participants_for(request.user, study))
    record(
        "patient.listed",
        actor=request.user,
        detail={
            "page": "research-quality",
            "registry_ids": sorted({q.participant.patient.registry_id for q in queries}),
        },
    )
    return render(
        request,
        "research/quality.html",
        {
            "study": study,
            "report": quality.report_by_site(queries),
            "open": [q for q in queries if q.status != QueryStatus.CLOSED],
            "closed": [q for q in queries if q.status == QueryStatus.CLOSED][:50],
            "rules": quality.QueryRule.choices,
        },
    )


@require_POST
@role_required(*COORDINATOR)
def quality_run(request, slug: str):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    with transaction.atomic():
        new = quality.run_checks(study, now=clock.now())
    messages.success(request, _("%(n)s new queries.") % {"n": len(new)})
    return redirect("research:quality", slug=study.slug)


@require_POST
@role_required(*COORDINATOR)
def query_answer(request, slug: str, pk: int):
    study = access.get_study_for(request.user, slug, roles=COORDINATOR)
    query = get_object_or_404(
        quality.queries_for(access.participants_for(request.user, study)), pk=pk
    )
    try:
        with transaction.atomic():
            quality.answer(
                query,
                by=request.user,
                text=request.POST.get("answer", ""),
                close=request.POST.get("close") == "yes",
            )
    except ValidationError as exc:
        show_service_error(request, exc)
    else:
        messages.success(request, _("Query answered."))
    return redirect("research:quality", slug=study.slug)
