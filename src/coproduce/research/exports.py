"""Who gets a de-identified export: the operator's command, or a request a PI approved.

Both write through export.write_export and both are audited: the operator with the system
account that ran the command (and `--by` user), the researcher's download with the user.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.research.access import get_study_for, is_study_staff
from coproduce.research.datamodels import ExportRequest, RequestStatus
from coproduce.research.export import FORMATS, Written, write_export
from coproduce.research.models import Study


def _audit(event: str, study: Study, written: Written, *, by: User | None, **detail) -> None:
    record(
        event,
        actor=by,
        detail={
            "study": study.slug,
            "files": {f["name"]: f["rows"] for f in written.manifest["files"]},
            "parameters": written.manifest["parameters"],
            "registry_ids": written.registry_ids,
            **detail,
        },
    )


def export_for_operator(
    study: Study,
    *,
    fmt: str,
    out: Path,
    include_free_text: bool,
    operator: str,
    by: User | None = None,
    now: dt.datetime | None = None,
) -> Written:
    """The operator's export into `out`, audited with the system account that ran it."""
    now = now or clock.now()
    written = write_export(
        study,
        fmt=fmt,
        out=out,
        include_free_text=include_free_text,
        today=clock.clinic_today(dt.UTC, now),
    )
    _audit(
        "research.exported", study, written, by=by, operator=operator, route="command", out=str(out)
    )
    return written


def request_export(
    study: Study, *, by: User, purpose: str, fmt: str, include_free_text: bool
) -> ExportRequest:
    """A researcher of the study asks for an export; the PI decides."""
    if by.role != Role.RESEARCHER or not is_study_staff(by, study):
        raise Http404("No such study.")
    errors = {}
    if not purpose.strip():
        errors["purpose"] = _("Say what the data are for (the PI reads this).")
    if fmt not in FORMATS:
        errors["fmt"] = _("Choose CSV or Parquet.")
    if errors:
        raise ValidationError(errors)
    request = ExportRequest.objects.create(
        study=study,
        requested_by=by,
        purpose=purpose.strip()[:500],
        fmt=fmt,
        include_free_text=include_free_text,
    )
    record(
        "research.export_requested",
        actor=by,
        obj=request,
        detail={"study": study.slug, "format": fmt, "include_free_text": include_free_text},
    )
    return request


def decide(
    request: ExportRequest, *, by: User, approve: bool, note: str = "", now=None
) -> ExportRequest:
    """The study's PI approves (the export is written and kept) or refuses a request."""
    if by.role != Role.INVESTIGATOR or not is_study_staff(by, request.study):
        raise Http404("No such request.")
    if request.status != RequestStatus.REQUESTED:
        raise ValidationError(_("This request has been decided already."))
    now = now or clock.now()
    request.decided_by, request.decided_at = by, now
    request.decision_note = note.strip()[:500]
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    detail: dict = {"study": request.study.slug, "approved": approve}
    if approve:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "export"
            written = write_export(
                request.study,
                fmt=request.fmt,
                out=out,
                include_free_text=request.include_free_text,
                today=clock.clinic_today(dt.UTC, now),
            )
            request.archive = _zip(out)
        request.manifest = written.manifest
        detail["registry_ids"] = written.registry_ids
        detail["files"] = {f["name"]: f["rows"] for f in written.manifest["files"]}
    request.save()
    record("research.export_decided", actor=by, obj=request, detail=detail)
    return request


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=path.name)
    return buffer.getvalue()


def requests_for(user: User, study: Study):
    """Researchers: their own requests; the study's PI: all of them; others: none."""
    rows = ExportRequest.objects.filter(study=study).select_related("requested_by", "decided_by")
    if user.role == Role.INVESTIGATOR and is_study_staff(user, study):
        return rows
    if user.role == Role.RESEARCHER and is_study_staff(user, study):
        return rows.filter(requested_by=user)
    return rows.none()


def download_for(user: User, slug: str, pk: int) -> tuple[ExportRequest, bytes]:
    """The approved archive of the researcher's own request (audited); else 404."""
    study = get_study_for(user, slug, roles=(Role.RESEARCHER,))
    request = requests_for(user, study).filter(pk=pk, status=RequestStatus.APPROVED).first()
    if request is None or request.archive is None:
        raise Http404("No such export.")
    record(
        "research.export_downloaded",
        actor=user,
        obj=request,
        detail={"study": study.slug, "files": [f["name"] for f in request.manifest["files"]]},
    )
    return request, bytes(request.archive)
