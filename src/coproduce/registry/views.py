"""QI pages: measures as SPC charts per site beside the network, and funnel plots.

QI leads see aggregates only; every figure from fewer than 5 patients or events is hidden.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from coproduce.people.models import CARE_ROLES, Role
from coproduce.registry import charts, services
from coproduce.registry.measures import MEASURES
from coproduce.web.decorators import role_required

QI_ROLES = (Role.QI_LEAD, *CARE_ROLES)


@role_required(*QI_ROLES)
def measure_list(request):
    return render(request, "registry/measures.html", {"measures": MEASURES.values()})


@role_required(*QI_ROLES)
def measure_detail(request, measure_id: str):
    measure = MEASURES.get(measure_id)
    if measure is None:
        raise Http404("No such measure.")
    net, per_site = services.measure_by_site(measure)
    panels = []
    for series in [net, *per_site]:
        svg = None
        if series.chart is not None:
            svg = charts.spc_svg(
                series.name, [m.strftime("%b %Y") for m in series.months], series.chart
            )
        panels.append({"series": series, "svg": svg})
    return render(request, "registry/measure.html", {"measure": measure, "panels": panels})


@role_required(*QI_ROLES)
def measure_funnel(request, measure_id: str):
    measure = MEASURES.get(measure_id)
    if measure is None:
        raise Http404("No such measure.")
    rows, limits, target = services.funnel(measure)
    svg = None
    if limits:
        points = [(r.site, r.denominator, r.proportion) for r in rows if r.denominator]
        svg = charts.funnel_svg(f"{measure.title}: sites, last 12 months", limits, points)
    return render(
        request,
        "registry/funnel.html",
        {"measure": measure, "rows": rows, "svg": svg, "target": target},
    )
