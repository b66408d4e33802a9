"""REDCap data dictionaries: read one into instruments, write an instrument as one.

A data dictionary is REDCap's 18-column CSV (Project Setup > Data Dictionary), one row per
field, its forms in order. Each form becomes one imported instrument whose id is the form
name; each field becomes a Questionnaire item whose linkId is the variable name, carrying
its original row (``redcap-field``) so that exporting it gives back the same variables in
the same order. Fields coproduce cannot ask faithfully (file uploads, signatures, dynamic
SQL, ontology look-ups, logic it cannot translate) refuse the whole file, every one named.

Instruments that did not come from REDCap are exported with generated variable names
(``phq9-1`` -> ``phq9_1``); the linkId is kept in each row's Field Annotation.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any

from django.utils.html import strip_tags

from coproduce.instruments.definitions import (
    CALCULATED_URL,
    ENABLE_EXPRESSION_URL,
    MAX_VALUE_URL,
    MIN_VALUE_URL,
    NS,
    Definition,
)
from coproduce.instruments.importer import ImportRefused
from coproduce.interop.redcap_logic import Untranslatable, branching, parse, to_fhirpath

HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min",
    "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)",
    "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
]  # fmt: skip
(VAR, FORM, SECTION, TYPE, LABEL, CHOICES, NOTE, VALIDATION, MIN, MAX, IDENTIFIER, BRANCHING,
 REQUIRED, ALIGN, NUMBER, MATRIX, RANKING, ANNOTATION) = range(18)  # fmt: skip
FIELD_URL = NS + "redcap-field"  # valueString: the field's dictionary row, as JSON
RECORD_ID_URL = NS + "redcap-record-id"  # on the Questionnaire: the record id field's row
ITEM_CONTROL_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
REGEX_URL = "http://hl7.org/fhir/StructureDefinition/regex"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# Text validations: (FHIR item type, regex for string answers or None).
VALIDATIONS: dict[str, tuple[str, str | None]] = {
    "": ("string", None),
    "integer": ("integer", None),
    "number": ("decimal", None),
    **{f"number_{n}dp": ("decimal", None) for n in range(1, 5)},
    "number_comma_decimal": ("decimal", None),
    **{f"number_{n}dp_comma_decimal": ("decimal", None) for n in range(1, 5)},
    **{f"date_{o}": ("date", None) for o in ("ymd", "mdy", "dmy")},
    **{f"datetime_{o}": ("dateTime", None) for o in ("ymd", "mdy", "dmy")},
    **{f"datetime_seconds_{o}": ("dateTime", None) for o in ("ymd", "mdy", "dmy")},
    "time": ("time", None),
    "time_hh_mm_ss": ("time", None),
    "time_mm_ss": ("string", r"[0-5][0-9]:[0-5][0-9]"),
    "email": ("string", r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "phone": ("string", r"\(?[2-9][0-9]{2}\)?[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}( ?x[0-9]+)?"),
    "phone_australia": ("string", r"\(?0[2-8]\)?[ -]?[0-9]{4}[ -]?[0-9]{4}"),
    "zipcode": ("string", r"[0-9]{5}(-[0-9]{4})?"),
    "postalcode_australia": ("string", r"[0-9]{4}"),
    "postalcode_canada": ("string", r"[ABCEGHJ-NPRSTVXY][0-9][A-Z] ?[0-9][A-Z][0-9]"),
    "postalcode_french": ("string", r"[0-9]{5}"),
    "postalcode_germany": ("string", r"[0-9]{5}"),
    "ssn": ("string", r"[0-9]{3}-[0-9]{2}-[0-9]{4}"),
    "alpha_only": ("string", r"[A-Za-z]+"),
    "mrn_10d": ("string", r"[0-9]{10}"),
    "mrn_generic": ("string", r"[A-Za-z0-9-_.]+"),
    "vmrn": ("string", r"[0-9]{4,9}"),
}
NOT_ASKED = {
    "file": "file uploads cannot be answered in a check-in",
    "sql": "dynamic SQL fields need the REDCap database",
}


def _plain(text: str) -> str:
    """REDCap labels may hold HTML: shown as plain text, never as markup."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(text or ""))).strip()


def read_dictionary(text: str) -> list[list[str]]:
    """The rows of a data dictionary; ImportRefused when the header is not REDCap's."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise ImportRefused(["the file is empty"])
    header = [h.strip() for h in rows[0]]
    if header != HEADER:
        wrong = [
            f"column {n + 1} is {got!r}, REDCap's header says {want!r}"
            for n, (got, want) in enumerate(zip(header + [""] * 18, HEADER, strict=False))
            if got != want
        ]
        raise ImportRefused([f"not a REDCap data dictionary: {w}" for w in wrong[:3]])
    body = [r + [""] * (18 - len(r)) for r in rows[1:] if any(c.strip() for c in r)]
    if not body:
        raise ImportRefused(["the data dictionary has no fields"])
    return body


def _choices(text: str) -> list[tuple[str, str]]:
    found = []
    for part in text.split("|"):
        code, comma, label = part.partition(",")
        if not comma or not code.strip():
            raise Untranslatable(f"choice {part.strip()!r} is not 'code, label'")
        found.append((code.strip(), _plain(label)))
    return found


def _types(rows: list[list[str]]) -> dict[str, str]:
    kinds = {}
    for row in rows:
        kind = row[TYPE]
        if kind in ("radio", "dropdown", "checkbox"):
            kinds[row[VAR]] = "choice"
        elif kind in ("yesno", "truefalse"):
            kinds[row[VAR]] = "boolean"
        elif kind in ("slider",):
            kinds[row[VAR]] = "integer"
        elif kind == "calc":
            kinds[row[VAR]] = "decimal"
        elif kind in ("text", "notes"):
            kinds[row[VAR]] = VALIDATIONS.get(row[VALIDATION], ("string", None))[0]
    return kinds


def _number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _item(row: list[str], types: dict[str, str]) -> dict[str, Any]:
    """One field as a Questionnaire item; Untranslatable says why it cannot be."""
    kind, label = row[TYPE], _plain(row[LABEL])
    item: dict[str, Any] = {"linkId": row[VAR], "text": label or row[VAR]}
    extensions: list[dict[str, Any]] = []
    if kind == "file" and row[VALIDATION] == "signature":
        raise Untranslatable("signatures cannot be given in a check-in")
    if kind in NOT_ASKED:
        raise Untranslatable(NOT_ASKED[kind])
    if kind in ("radio", "dropdown", "checkbox"):
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": {"code": code, "display": display}}
            for code, display in _choices(row[CHOICES])
        ]
        if kind == "checkbox":
            item["repeats"] = True
        if kind == "dropdown":
            extensions.append(_control("drop-down"))
    elif kind in ("yesno", "truefalse"):
        item["type"] = "boolean"
    elif kind == "notes":
        item["type"] = "text"
    elif kind == "descriptive":
        item["type"] = "display"
    elif kind == "slider":
        item["type"] = "integer"
        low, high = _number(row[MIN]) or 0, _number(row[MAX])
        extensions += [
            _bound(MIN_VALUE_URL, low),
            _bound(MAX_VALUE_URL, 100 if high is None else high),
        ]
        extensions.append(_control("slider"))
    elif kind == "calc":
        item["type"] = "decimal"
        item["readOnly"] = True
        expression = to_fhirpath(parse(row[CHOICES]), types)
        extensions.append(_expression(CALCULATED_URL, expression))
    elif kind == "text":
        if row[CHOICES].strip():
            raise Untranslatable(f"ontology look-ups ({row[CHOICES].strip()}) need REDCap")
        if row[VALIDATION] not in VALIDATIONS:
            raise Untranslatable(f"text validation {row[VALIDATION]!r} is not known")
        fhir_type, regex = VALIDATIONS[row[VALIDATION]]
        item["type"] = fhir_type
        if regex:
            extensions.append({"url": REGEX_URL, "valueString": regex})
        for url, bound in ((MIN_VALUE_URL, row[MIN]), (MAX_VALUE_URL, row[MAX])):
            value = _number(bound) if fhir_type in ("integer", "decimal") else None
            if value is not None:
                extensions.append(_bound(url, int(value) if fhir_type == "integer" else value))
    else:
        raise Untranslatable(f"field type {kind!r} is not known")
    if row[REQUIRED].strip().lower() == "y" and item["type"] != "display":
        item["required"] = True
    if row[BRANCHING].strip():
        keys = branching(row[BRANCHING], types)
        if "enableWhenExpression" in keys:
            extensions.append(_expression(ENABLE_EXPRESSION_URL, keys.pop("enableWhenExpression")))
        item.update(keys)
    extensions.append({"url": FIELD_URL, "valueString": _row_json(row)})
    item["extension"] = extensions
    return item


def _control(code: str) -> dict[str, Any]:
    coding = {"system": "http://hl7.org/fhir/questionnaire-item-control", "code": code}
    return {"url": ITEM_CONTROL_URL, "valueCodeableConcept": {"coding": [coding]}}


def _bound(url: str, value: int | float) -> dict[str, Any]:
    return {"url": url, ("valueInteger" if isinstance(value, int) else "valueDecimal"): value}


def _expression(url: str, expression: str) -> dict[str, Any]:
    return {"url": url, "valueExpression": {"language": "text/fhirpath", "expression": expression}}


def questionnaires(rows: list[list[str]]) -> dict[str, dict[str, Any]]:
    """Form name -> Questionnaire; ImportRefused naming every field that cannot be read."""
    problems = []
    seen: set[str] = set()
    for n, row in enumerate(rows, 2):
        if not NAME.match(row[VAR]):
            problems.append(f"line {n}: {row[VAR]!r} is not a REDCap variable name")
        elif row[VAR] in seen:
            problems.append(f"line {n}: variable {row[VAR]!r} appears twice")
        seen.add(row[VAR])
        if not NAME.match(row[FORM]):
            problems.append(f"line {n}: form name {row[FORM]!r} is not a REDCap form name")
    if problems:
        raise ImportRefused(problems)
    types = _types(rows)
    forms: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    record_id = _row_json(rows[0])
    for n, row in enumerate(rows):
        if row[FORM] not in forms:  # every form keeps the record id field, which names records
            forms[row[FORM]] = _questionnaire(row[FORM])
            forms[row[FORM]]["extension"].append({"url": RECORD_ID_URL, "valueString": record_id})
        form = forms[row[FORM]]
        if n == 0:  # the record id is REDCap's, never asked
            continue
        try:
            item = _item(row, types)
        except Untranslatable as exc:
            problems.append(f"field {row[VAR]!r} ({row[TYPE]}): {exc}")
            continue
        if row[SECTION].strip():
            members: list[dict[str, Any]] = []
            form["item"].append({"linkId": f"{row[VAR]}__section", "type": "group",
                                 "text": _plain(row[SECTION]), "item": members})  # fmt: skip
            groups[row[FORM]] = members
        groups.setdefault(row[FORM], form["item"]).append(item)
    if problems:
        raise ImportRefused(problems)
    for form in forms.values():
        if not form["item"]:  # a form holding only the record id
            form["item"] = [{"linkId": "record-id-only", "type": "display", "text": form["title"]}]
    return forms


def _row_json(row: list[str]) -> str:
    """A dictionary row kept as JSON text. ASCII only: a FHIR string may hold no whitespace
    but space, tab and line breaks, and labels copied from web pages carry no-break spaces
    (RareLink's do); escaped as \\u00a0 they read back unchanged."""
    return json.dumps(row, ensure_ascii=True)


def _questionnaire(form: str) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": form.replace("_", "-"),
        "name": form,
        "title": form.replace("_", " ").capitalize(),
        "status": "active",
        "extension": [],
        "item": [],
    }


# Export -----------------------------------------------------------------------------------


def variable_name(link_id: str, taken: set[str]) -> str:
    """A valid, unused REDCap variable name for a linkId (``phq9-1`` -> ``phq9_1``)."""
    name = re.sub(r"[^a-z0-9_]+", "_", link_id.lower()).strip("_") or "item"
    if not name[0].isalpha():
        name = "v_" + name
    name, base, n = name[:100], name[:96], 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _field_row(item: dict[str, Any]) -> list[str] | None:
    for ext in item.get("extension", ()) or ():
        if ext.get("url") == FIELD_URL:
            return list(json.loads(ext["valueString"]))
    return None


def _generated_row(definition: Definition, raw: dict[str, Any], form: str, taken: set[str],
                   section: str) -> list[str]:  # fmt: skip
    item = definition.item_map[str(raw["linkId"])]
    row = [""] * 18
    row[VAR], row[FORM], row[SECTION] = variable_name(item.link_id, taken), form, section
    row[LABEL] = item.text
    row[ANNOTATION] = f"coproduce linkId {item.link_id}"
    row[REQUIRED] = "y" if item.required else ""
    if item.type == "display":
        row[TYPE] = "descriptive"
    elif item.options and item.type in ("choice", "open-choice"):
        row[TYPE] = "checkbox" if item.repeats else "radio"
        row[CHOICES] = " | ".join(f"{o.code}, {o.display}" for o in item.options)
    elif item.type == "boolean":
        row[TYPE] = "yesno"
    elif item.type == "text":
        row[TYPE] = "notes"
    else:
        row[TYPE] = "text"
        row[VALIDATION] = {
            "integer": "integer", "decimal": "number", "date": "date_ymd",
            "dateTime": "datetime_seconds_ymd", "time": "time_hh_mm_ss", "quantity": "number",
        }.get(item.type, "")  # fmt: skip
        for column, bound in ((MIN, item.min_value), (MAX, item.max_value)):
            row[column] = "" if bound is None else f"{bound:g}"
    return row


def dictionary_rows(definition: Definition) -> list[list[str]]:
    """An instrument as data dictionary rows (its own REDCap rows if it came from REDCap)."""
    q = definition.questionnaire
    form = str(q.get("name") if _field_rows_exist(q) else "") or variable_name(definition.id, set())
    rows: list[list[str]] = []
    record = next((e for e in q.get("extension", ()) or () if e.get("url") == RECORD_ID_URL), None)
    taken: set[str] = set()
    if record is not None:
        rows.append(list(json.loads(record["valueString"])))
        rows[0][FORM] = form
    else:
        rows.append(["record_id", form, "", "text", "Record ID"] + [""] * 13)
    taken.add(rows[0][VAR])

    def walk(items: list[dict[str, Any]], section: str) -> None:
        for raw in items:
            own = _field_row(raw)
            if own is not None:
                rows.append(own)
            elif raw.get("type") == "group":
                walk(raw.get("item") or [], _plain(raw.get("text", "")))
                continue
            elif raw.get("linkId") in definition.item_map and raw.get("type") not in (
                "attachment", "reference",
            ):  # fmt: skip
                rows.append(_generated_row(definition, raw, form, taken, section))
                section = ""
            walk(raw.get("item") or [], "")

    walk(q.get("item") or [], "")
    return rows


def _field_rows_exist(q: dict[str, Any]) -> bool:
    return any(e.get("url") == RECORD_ID_URL for e in q.get("extension", ()) or ())


def write_dictionary(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def variables_of(definition: Definition) -> dict[str, str]:
    """linkId -> REDCap variable name, as ``dictionary_rows`` names them."""
    return {link_id: row[VAR] for link_id, row in fields_of(definition)}


def fields_of(definition: Definition) -> list[tuple[str, list[str]]]:
    """(linkId, dictionary row) of every field, in the exported order."""
    found = []
    for row in dictionary_rows(definition)[1:]:
        note = row[ANNOTATION]
        generated = note.startswith("coproduce linkId ")
        found.append((note.removeprefix("coproduce linkId ") if generated else row[VAR], row))
    return found


# Import -----------------------------------------------------------------------------------


def _next_version(instrument_id: str) -> str:
    from coproduce.instruments.models import InstrumentVersion

    numbers = [
        int(v)
        for v in InstrumentVersion.objects.filter(instrument_id=instrument_id).values_list(
            "version", flat=True
        )
        if v.isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def import_dictionary(text: str, *, version: str | None = None) -> list[Any]:
    """Store one instrument per form (caller owns the transaction); ImportRefused names
    every problem of every form, and then nothing is stored."""
    from coproduce.instruments.library import shipped
    from coproduce.instruments.services import import_questionnaire

    forms = questionnaires(read_dictionary(text))
    shipped_ids = {d.id for d in shipped().values()}
    clashes = [f"form {f!r} has the id of a shipped instrument" for f in forms if f in shipped_ids]
    if clashes:
        raise ImportRefused(clashes)
    rows, problems = [], []
    for form, questionnaire in forms.items():
        try:
            rows.append(
                import_questionnaire(
                    questionnaire, instrument_id=form, version=version or _next_version(form)
                )
            )
        except ImportRefused as exc:
            problems += [f"form {form!r}: {p}" for p in exc.problems]
    if problems:
        raise ImportRefused(problems)
    return rows
