"""FHIR search: the registry of what is offered, parameter parsing, paging and Bundles.

The routes and the CapabilityStatement are both made from `RESOURCES`, so the statement
lists exactly what the server answers. A parameter that is not in the registry is refused
(400 OperationOutcome) instead of being ignored: a client that filters by something we do
not support must not get unfiltered results it takes for filtered ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from coproduce.interop.fhir import FhirInvalid, issue

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Accepted on every search: paging and output format (FHIR RESTful API, "Search").
RESULT_PARAMS = ("_count", "_offset", "_format", "_pretty")
JSON_FORMATS = ("json", "application/json", "application/fhir+json")
SPEC = "http://hl7.org/fhir/SearchParameter/"


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # the FHIR search parameter type: token, date, reference, uri
    documentation: str
    definition: str = ""


@dataclass(frozen=True)
class ResourceType:
    """One resource type the server offers and how it answers each interaction."""

    name: str
    read: Callable[..., dict[str, Any]]
    search: Callable[[Any, Query], Page] | None = None
    create: bool = False
    update: bool = False
    params: tuple[SearchParam, ...] = ()
    read_params: tuple[str, ...] = ()
    documentation: str = ""

    @property
    def interactions(self) -> list[str]:
        return [
            "read",
            *(["search-type"] if self.search else []),
            *(["create"] if self.create else []),
            *(["update"] if self.update else []),
        ]


@dataclass
class Page:
    total: int
    resources: list[dict[str, Any]]


@dataclass
class Query:
    """The accepted parameters of one search, with the paging asked for."""

    resource: ResourceType
    values: dict[str, list[str]]
    count: int = DEFAULT_COUNT
    offset: int = 0
    pretty: bool = False
    formats: tuple[tuple[str, str], ...] = ()  # _format and _pretty as given, kept in links

    def get(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def window(self, queryset: QuerySet, build: Callable[[Any], dict[str, Any]]) -> Page:
        """One page of `queryset` (already ordered), each row built into a resource."""
        total = queryset.count()
        rows = list(queryset[self.offset : self.offset + self.count]) if self.count else []
        return Page(total, [build(row) for row in rows])

    def window_list(self, items: Sequence[Any], build: Callable[[Any], dict[str, Any]]) -> Page:
        chosen = items[self.offset : self.offset + self.count] if self.count else []
        return Page(len(items), [build(item) for item in chosen])


def _int(name: str, text: str, low: int, high: int | None = None) -> int:
    if not re.fullmatch(r"\d{1,9}", text) or int(text) < low or (high and int(text) > high):
        limit = f"{low}-{high}" if high else f">= {low}"
        raise FhirInvalid(
            [
                issue(
                    _("%(name)s must be a whole number (%(limit)s).")
                    % {"name": name, "limit": limit}
                )
            ]
        )
    return int(text)


class NotAcceptable(FhirInvalid):
    """A _format we do not offer (406)."""


def check_format(params: QueryDict) -> bool:
    """Whether _pretty was asked for; refuses a _format other than JSON (406 not-supported)."""
    fmt = params.get("_format")
    if fmt is not None and fmt not in JSON_FORMATS:
        raise NotAcceptable(
            [issue(_("Only JSON is offered (_format=json)."), code="not-supported")]
        )
    pretty = params.get("_pretty", "false")
    if pretty not in ("true", "false"):
        raise FhirInvalid([issue(_("_pretty must be true or false."))])
    return pretty == "true"


def parse_query(resource: ResourceType, params: QueryDict) -> Query:
    """Check every parameter against the registry; FhirInvalid names the first refused one."""
    known = {p.name for p in resource.params}
    problems = []
    values: dict[str, list[str]] = {}
    for key in params:
        name, _sep, modifier = key.partition(":")
        if key in RESULT_PARAMS:
            continue
        if name not in known:
            problems.append(
                issue(
                    _("Search parameter %(name)s is not supported on %(type)s (see /metadata).")
                    % {"name": key, "type": resource.name},
                    code="not-supported",
                )
            )
        elif modifier:
            problems.append(
                issue(
                    _("Modifier :%(modifier)s is not supported.") % {"modifier": modifier},
                    code="not-supported",
                )
            )
        else:
            values[name] = [v for v in params.getlist(key)]
    if problems:
        raise FhirInvalid(problems)
    pretty = check_format(params)
    count = _int("_count", params.get("_count", str(DEFAULT_COUNT)), 0, MAX_COUNT)
    offset = _int("_offset", params.get("_offset", "0"), 0)
    formats = tuple((k, str(params.get(k))) for k in ("_format", "_pretty") if k in params)
    return Query(resource, values, count=count, offset=offset, pretty=pretty, formats=formats)


def search_bundle(query: Query, page: Page, base: str) -> dict[str, Any]:
    """A searchset Bundle with self, and next/previous links while there is more."""
    kept = [(name, v) for name, given in query.values.items() for v in given]
    url = f"{base}{query.resource.name}?"

    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*kept, ("_count", str(query.count)), ("_offset", str(offset)), *query.formats]
        return {"relation": relation, "url": url + urlencode(params)}

    links = [link("self", query.offset)]
    if query.count and query.offset + query.count < page.total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(query.offset - query.count, 0)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in page.resources
        ],
    }


# Parameter values --------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|gt|le|ge|sa|eb|ap)?"
    r"(?P<value>\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?)$"
)
_PREFIXES = ("eq", "ne", "lt", "gt", "le", "ge")


def _date_range(text: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) a FHIR date value covers at its precision (UTC if no zone)."""
    if "T" not in text:
        parts = [int(p) for p in text.split("-")]
        year, month, day = [*parts, 1, 1][:3]
        start = dt.datetime(year, month, day, tzinfo=dt.UTC)
        if len(parts) == 1:
            end = start.replace(year=year + 1)
        elif len(parts) == 2:
            end = (start + dt.timedelta(days=32)).replace(day=1)
        else:
            end = start + dt.timedelta(days=1)
        return start, end
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    step = dt.timedelta(seconds=1) if text.count(":") >= 2 else dt.timedelta(minutes=1)
    if "." in text:
        step = dt.timedelta(microseconds=1)
    return moment, moment + step


@dataclass(frozen=True)
class DateCondition:
    """One date parameter value as the instants it accepts: [low, high), or all outside it."""

    low: dt.datetime | None
    high: dt.datetime | None
    outside: bool = False

    def q(self, field_name: str) -> Q:
        inside = Q()
        if self.low is not None:
            inside &= Q(**{f"{field_name}__gte": self.low})
        if self.high is not None:
            inside &= Q(**{f"{field_name}__lt": self.high})
        return ~inside if self.outside else inside

    def matches(self, moment: dt.datetime) -> bool:
        inside = (self.low is None or moment >= self.low) and (
            self.high is None or moment < self.high
        )
        return inside != self.outside


def date_conditions(name: str, values: Iterable[str]) -> list[DateCondition]:
    """Each date value (ge2026-01-01, 2026-02, lt2026-02-03T10:00Z) as the instants it takes."""
    found = []
    for part in values:
        match = _DATE.match(part)
        if match is None:
            raise FhirInvalid(
                [issue(_("%(name)s=%(value)s is not a FHIR date.") % {"name": name, "value": part})]
            )
        prefix = match["prefix"] or "eq"
        if prefix not in _PREFIXES:
            raise FhirInvalid(
                [
                    issue(
                        _("Date prefix %(prefix)s is not supported (eq, ne, lt, gt, le, ge).")
                        % {"prefix": prefix},
                        code="not-supported",
                    )
                ]
            )
        try:
            start, end = _date_range(match["value"])
        except ValueError:
            raise FhirInvalid(
                [
                    issue(
                        _("%(name)s=%(value)s is not a valid date.") % {"name": name, "value": part}
                    )
                ]
            ) from None
        found.append(
            {
                "eq": DateCondition(start, end),
                "ne": DateCondition(start, end, outside=True),
                "lt": DateCondition(None, start),
                "le": DateCondition(None, end),
                "gt": DateCondition(end, None),
                "ge": DateCondition(start, None),
            }[prefix]
        )
    return found


def date_filter(queryset: QuerySet, field_name: str, name: str, values: Iterable[str]) -> QuerySet:
    """Apply each date value (ANDed: ge2026-01-01 and lt2026-02-01) to a datetime field."""
    for condition in date_conditions(name, values):
        queryset = queryset.filter(condition.q(field_name))
    return queryset


def date_matches(moment: dt.datetime, name: str, values: Iterable[str]) -> bool:
    """Whether `moment` passes every date value: `date_filter` for a value not in a column."""
    return all(condition.matches(moment) for condition in date_conditions(name, values))


def last_updated(queryset: QuerySet, query: Query, field_name: str = "updated_at") -> QuerySet:
    """The rows whose `field_name` passes the search's _lastUpdated values."""
    return date_filter(queryset, field_name, "_lastUpdated", query.get("_lastUpdated"))


def tokens(values: Iterable[str]) -> list[tuple[str | None, str]]:
    """Token values as (system or None for any, code); comma means OR within one value."""
    found: list[tuple[str | None, str]] = []
    for text in values:
        for part in text.split(","):
            if "|" in part:
                system, _sep, code = part.partition("|")
                found.append((system, code))
            else:
                found.append((None, part))
    return found


def reference_id(name: str, text: str, resource: str = "Patient") -> str:
    """The id in `Patient/ID`, `ID` or a full URL ending in `Patient/ID`."""
    tail = text.rsplit(f"{resource}/", 1)[-1] if f"{resource}/" in text else text
    if not tail or "/" in tail:
        raise FhirInvalid(
            [issue(_("%(name)s must name a %(type)s.") % {"name": name, "type": resource})]
        )
    return tail


# The CapabilityStatement ---------------------------------------------------------------------


def capability_statement(
    resources: Iterable[ResourceType], base: str, token_url: str, date: str
) -> dict[str, Any]:
    """What this server offers, generated from the same registry the routes come from."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "coproduce",
        "kind": "instance",
        "software": {"name": "coproduce"},
        "implementation": {"description": "coproduce FHIR R4 server", "url": base.rstrip("/")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                            "oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": [
                    {
                        "type": r.name,
                        **({"documentation": r.documentation} if r.documentation else {}),
                        "interaction": [{"code": code} for code in r.interactions],
                        **(
                            {
                                "searchParam": [
                                    {
                                        "name": p.name,
                                        "type": p.type,
                                        "documentation": p.documentation,
                                        **({"definition": p.definition} if p.definition else {}),
                                    }
                                    for p in r.params
                                ]
                            }
                            if r.search
                            else {}
                        ),
                    }
                    for r in resources
                ],
            }
        ],
    }
