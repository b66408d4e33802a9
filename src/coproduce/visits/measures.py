"""Disease activity measured at the visit: 28-joint counts, ESR/CRP and globals (RA), HBI
and PUCAI (IBD), entered by the team on a web form.

The indices are computed by the instruments' own scoring functions (``instruments.indices``)
on every round trip; the page's script only asks the server again, so there is one formula
for each index. What is saved is an ordinary check-in response submitted by the clinician
(``source="clinic"``, ``submitted_by`` = who entered it), so the scores land on the
dashboard trends like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coproduce.checkins.services import SubmitResult, submit_checkin
from coproduce.instruments.library import get_definition
from coproduce.instruments.results import InvalidResponse, ScoreResult
from coproduce.instruments.scoring import score
from coproduce.people.models import Patient, User

SOURCE = "clinic"
RA_INDICES = ("das28-esr", "das28-crp", "cdai", "sdai")
IBD_INDICES = ("hbi", "pucai")


JOINT_NAMES = {
    "shoulder": gettext_lazy("Shoulder"),
    "elbow": gettext_lazy("Elbow"),
    "wrist": gettext_lazy("Wrist"),
    "mcp": gettext_lazy("Knuckle (MCP %(n)s)"),
    "pip": gettext_lazy("Finger, middle joint (PIP %(n)s)"),
    "mcp1": gettext_lazy("Thumb, base (MCP 1)"),
    "pip1": gettext_lazy("Thumb, middle (IP)"),
    "knee": gettext_lazy("Knee"),
}
SIDES = {"R": gettext_lazy("right"), "L": gettext_lazy("left")}


@dataclass(frozen=True)
class Joint:
    code: str
    kind: str
    finger: int
    side: str
    x: int
    y: int

    @property
    def name(self) -> str:
        return str(JOINT_NAMES[self.kind]) % {"n": self.finger}

    @property
    def side_name(self) -> str:
        return str(SIDES[self.side])


def _side(side: str, mirror: bool) -> list[Joint]:
    """The 14 joints of one side of the DAS28 set, placed on a 300 x 400 front view."""

    def joint(kind: str, x: int, y: int, finger: int = 0) -> Joint:
        code = f"{side}-{kind}{finger or ''}" if kind in ("mcp", "pip") else f"{side}-{kind}"
        return Joint(code, kind, finger, side, 300 - x if mirror else x, y)

    joints = [
        joint("shoulder", 108, 78),
        joint("elbow", 88, 148),
        joint("wrist", 74, 212),
        joint("mcp1", 100, 232),
        joint("pip1", 116, 250),
    ]
    for finger in range(2, 6):
        x = 96 - (finger - 2) * 17
        joints.append(joint("mcp", x, 264, finger))
        joints.append(joint("pip", x, 294, finger))
    joints.append(joint("knee", 124, 365))
    return joints


#: The patient's right is on the viewer's left, as when facing the patient.
JOINTS: tuple[Joint, ...] = tuple(_side("R", False) + _side("L", True))
JOINT_CODES = frozenset(j.code for j in JOINTS)


@dataclass
class Entry:
    """What the form gave, as the index definitions name it."""

    tender: list[str]
    swollen: list[str]
    numbers: dict[str, Decimal]
    errors: dict[str, str]

    @property
    def tjc28(self) -> int:
        return len(self.tender)

    @property
    def sjc28(self) -> int:
        return len(self.swollen)


NUMBER_FIELDS = ("esr", "crp_mg_l", "ptga", "evga")


def number_fields() -> list[tuple[str, str, str]]:
    """(name, label, hint) of the form's number inputs."""
    return [
        ("esr", _("ESR (mm/h)"), ""),
        ("crp_mg_l", _("CRP (mg/L)"), _("SDAI uses it in mg/dL (divided by 10).")),
        (
            "ptga",
            _("Patient global assessment of disease activity (0-10)"),
            _("DAS28 uses the same mark on its 0-100 mm line (times 10)."),
        ),
        ("evga", _("Evaluator global assessment (0-10)"), ""),
    ]


def read_ra(post: Mapping[str, Any]) -> Entry:
    """Joint lists and numbers from a submitted form; unknown joints and bad numbers refused."""
    errors: dict[str, str] = {}

    def joints(name: str) -> list[str]:
        given = list(dict.fromkeys(post.getlist(name))) if hasattr(post, "getlist") else []
        if set(given) - JOINT_CODES:
            errors[name] = _("That is not one of the 28 joints.")
        return [j.code for j in JOINTS if j.code in given]

    numbers: dict[str, Decimal] = {}
    for name in NUMBER_FIELDS:
        raw = (post.get(name) or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            numbers[name] = Decimal(raw)
        except InvalidOperation:
            errors[name] = _("Enter a number.")
    return Entry(joints("tender"), joints("swollen"), numbers, errors)


def ra_answers(entry: Entry) -> dict[str, dict[str, Any]]:
    """Each RA index's components, for every index whose inputs were all given."""
    n = entry.numbers
    counts = {"tjc28": entry.tjc28, "sjc28": entry.sjc28}
    answers: dict[str, dict[str, Any]] = {}
    if "ptga" in n:
        # DAS28 takes the patient's global health as a 0-100 mm line; the form asks it once,
        # 0-10 as CDAI and SDAI do, and DAS28 gets the same mark times ten.
        gh = float(n["ptga"] * 10)
        if "esr" in n:
            answers["das28-esr"] = {**counts, "esr": float(n["esr"]), "gh": gh}
        if "crp_mg_l" in n:
            answers["das28-crp"] = {**counts, "crp_mg_l": float(n["crp_mg_l"]), "gh": gh}
        if "evga" in n:
            cdai = {**counts, "ptga": float(n["ptga"]), "evga": float(n["evga"])}
            answers["cdai"] = cdai
            if "crp_mg_l" in n:
                answers["sdai"] = {**cdai, "crp_mg_dl": float(n["crp_mg_l"] / 10)}
    return answers


@dataclass(frozen=True)
class Computed:
    instrument_id: str
    title: str
    result: ScoreResult | None
    needs: str
    error: str = ""


NEEDS = {
    "das28-esr": gettext_lazy("needs ESR and the patient global"),
    "das28-crp": gettext_lazy("needs CRP and the patient global"),
    "cdai": gettext_lazy("needs the patient and evaluator globals"),
    "sdai": gettext_lazy("needs CRP and both globals"),
}


def compute(answers: Mapping[str, Mapping[str, Any]], ids: tuple[str, ...]) -> list[Computed]:
    """Score each index in ``ids`` with the library's own rule (or say what it still needs)."""
    rows = []
    for instrument_id in ids:
        title = get_definition(instrument_id).title
        given = answers.get(instrument_id)
        if given is None:
            rows.append(Computed(instrument_id, title, None, str(NEEDS.get(instrument_id, ""))))
            continue
        try:
            rows.append(Computed(instrument_id, title, score(instrument_id, None, given), ""))
        except InvalidResponse as error:
            rows.append(Computed(instrument_id, title, None, "", error.message))
    return rows


def record_measures(
    patient: Patient, answers: dict[str, dict[str, Any]], *, by: User, idempotency_key: str
) -> SubmitResult:
    """Store the indices entered at the visit as one response submitted by ``by``.

    Raises CheckinInvalid (nothing stored) when an answer is out of range. The caller owns
    the transaction.
    """
    return submit_checkin(
        patient=patient,
        answers=answers,
        idempotency_key=idempotency_key,
        submitted_by=by,
        source=SOURCE,
    )


def _items(definition) -> list:
    return [i for page in definition.pages for i in page.items if i.asked]


def read_items(definition, post: Mapping[str, Any]) -> dict[str, Any]:
    """An IBD index form's answers by linkId (a boolean is a checkbox: unticked is "no")."""
    answers: dict[str, Any] = {}
    for item in _items(definition):
        raw = (post.get(item.link_id) or "").strip()
        if item.type == "boolean":
            answers[item.link_id] = raw == "true"
        elif raw:
            answers[item.link_id] = raw
    return answers if any(v is not False for v in answers.values()) else {}


def item_fields(definition, given: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the form shows for each item: its kind, choices and the value given."""
    fields = []
    for item in _items(definition):
        value = given.get(item.link_id)
        if item.type == "boolean":
            kind = "check"
        elif item.options:
            kind = "choice"
        else:
            kind = "number"
        fields.append(
            {
                "item": item,
                "kind": kind,
                "value": "" if value is None else value,
                "choices": [(o.code, o.display, str(o.code) == str(value)) for o in item.options],
            }
        )
    return fields
