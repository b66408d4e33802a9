"""QI pages: measures as SPC charts per site beside the network, funnel plots, PDSA notes;
and care teams' population lists.

QI leads see aggregates only; every figure from fewer than 5 patients or events is hidden.
Population lists are patient rows, so only care staff reach them (others get a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coproduce.people.models import CARE_ROLES, QI_ROLES
from coproduce.platform.http import role_required
from coproduce.registry import charts, population, services
from coproduce.registry.actions import add_annotation
from coproduce.registry.forms import PdsaForm
from coproduce.registry.measures import MEASURES, Measure


def _measure(measure_id: str) -> Measure:
    measure = MEASURES.get(measure_id)
    if measure is None:
        raise Http404("No such measure.")
    return measure


@role_required(*QI_ROLES)
def measure_list(request):
    return render(request, "registry/measures.html", {"measures": MEASURES.values()})


def _panel(measure: Measure, series: services.Series) -> dict:
    svg = None
    if series.chart is not None:
        marks = [
            (i, f"{a.on:%d %b %Y}: {a.title}")
            for a, i in zip(series.annotations, series.marks, strict=True)
            if i is not None
        ]
        svg = charts.spc_svg(
            series.name,
            [m.strftime("%b %y") for m in series.months],
            series.chart,
            percent=not measure.is_median,
            y_title=measure.unit,
            marks=marks,
        )
    return {"series": series, "svg": svg}


@role_required(*QI_ROLES)
def measure_detail(request, measure_id: str):
    measure = _measure(measure_id)
    form = PdsaForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            add_annotation(author=request.user, measure_id=measure.id, **form.cleaned_data)
        messages.success(request, _("The change is on the charts."))
        return redirect("measure-detail", measure.id)
    view = services.measure_view(measure)
    panels = [_panel(measure, s) for s in [view.network, *view.sites]]
    return render(
        request,
        "registry/measure.html",
        {
            "measure": measure,
            "panels": panels,
            "coverage": view.coverage,
            "annotations": services.annotations_for(measure.id),
            "form": form,
            "floor": services.floor_of(measure),
        },
    )


@role_required(*QI_ROLES)
def measure_funnel(request, measure_id: str):
    measure = _measure(measure_id)
    if measure.is_median:
        raise Http404("Funnel plots compare proportions.")
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


@role_required(*CARE_ROLES)
def population_list(request):
    form = population.PopulationFilter(request.GET or None, user=request.user)
    chosen = form.cleaned_data if form.is_valid() else {}
    rows = population.population_for(
        request.user, flag=chosen.get("flag") or "", team=chosen.get("team")
    )
    as_csv = request.GET.get("format") == "csv"
    population.audit_listing(request.user, rows, export=as_csv)
    if as_csv:
        return population.csv_response(rows)
    return render(
        request,
        "registry/population.html",
        {"form": form, "rows": rows, "csv_query": population.csv_query(request.GET)},
    )
