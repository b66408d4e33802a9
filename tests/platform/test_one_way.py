"""Facts declared once: role sets live in people, plan states in careplans.choices."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "coproduce"
# Not a set but an order of precedence (which role wins when several are mapped).
ORDERS = {("accounts/oidc.py", "ROLE_ORDER")}


def _is_role(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Role"
    )


def _role_sets(path: Path) -> list[str]:
    return _role_sets_in(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))


def _role_sets_in(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    exempt = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AnnAssign) else []
        if any((where, getattr(t, "id", "")) in ORDERS for t in targets):
            exempt.add(id(node.value))
    return [
        f"{where}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if id(node) not in exempt and (_lists_roles(node) or _joins_role_sets(node))
    ]


def _is_role_set(node: ast.expr) -> bool:
    """`X_ROLES` (a set of people.models), or `*X_ROLES`."""
    if isinstance(node, ast.Starred):
        node = node.value
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name.endswith("_ROLES")


def _lists_roles(node: ast.AST) -> bool:
    """Two or more roles listed: `(Role.A, Role.B)`, `(Role.A, *X_ROLES)`, or the same as a
    call's arguments (`role_required(*X_ROLES, Role.A)`)."""
    if isinstance(node, ast.Tuple | ast.Set | ast.List):
        elts = node.elts
    elif isinstance(node, ast.Call):
        elts = node.args
    else:
        return False
    roles = [e for e in elts if _is_role(e)]
    sets = [e for e in elts if isinstance(e, ast.Starred) and _is_role_set(e)]
    # Only roles and starred role sets, and more than one set's worth.
    return len(roles) + len(sets) == len(elts) >= 2 and (len(roles) >= 1 or len(sets) >= 2)


def _joins_role_sets(node: ast.AST) -> bool:
    """A set made of others: `X_ROLES | {Role.A}`, `X_ROLES | Y_ROLES`."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.BitOr | ast.Sub):
        return False
    sides = (node.left, node.right)
    return any(_is_role_set(s) for s in sides) and all(
        _is_role_set(s)
        or isinstance(s, ast.BinOp)
        or (isinstance(s, ast.Set | ast.Tuple) and all(_is_role(e) for e in s.elts))
        for s in sides
    )


def test_role_sets_are_declared_only_in_people_models():
    home = SRC / "people" / "models.py"
    elsewhere = [
        found
        for path in SRC.rglob("*.py")
        if path != home and "migrations" not in path.parts
        for found in _role_sets(path)
    ]
    assert elsewhere == []
    assert _role_sets(home)  # the scan finds them where they belong


def test_it_notices_a_role_set_built_from_others():
    source = (
        "A = (Role.QI_LEAD, *CARE_ROLES)\n"
        "@role_required(*CARE_ROLES, Role.QI_LEAD)\n"
        "def v(request): ...\n"
        "B = CARE_ROLES | {Role.QI_LEAD}\n"
        "C = (*CARE_ROLES, *RESEARCH_ROLES)\n"
        "ok = role_required(*QI_ROLES)\n"
        "ok = user.role in CARE_ROLES\n"
        "ok = (Role.NURSE,)\n"
    )
    found = {int(f.split(":")[1].split()[0]) for f in _role_sets_in(source, "x.py")}
    assert sorted(found) == [1, 2, 4, 5]


def test_plan_states_and_request_kinds_are_one_type():
    from coproduce.careplans import models, taper

    assert taper.PlanStatus is models.PlanStatus
    assert taper.RequestKind is models.RequestKind


def test_the_current_dose_is_the_dose_of_today_at_the_clinic(world):
    """23:30 UTC is already tomorrow in Stockholm: a line started tomorrow counts there, even
    when the request's active time zone is UTC (the clinic's day, computed one way), in the
    patient's care plan and in the registry's population list (SQL) alike."""
    import datetime as dt

    from django.utils import timezone

    from coproduce.careplans.medications import current_mme, record_medication
    from coproduce.platform import clock
    from coproduce.registry.population import population_queryset

    site = world.alice.care_team.site
    site.time_zone = "Europe/Stockholm"
    site.save()
    late = dt.datetime(2026, 6, 1, 22, 30, tzinfo=dt.UTC)  # 00:30 on 2 June in Stockholm
    with clock.frozen(late), timezone.override(dt.UTC):
        assert clock.clinic_today(site) == dt.date(2026, 6, 2)
        record_medication(
            world.alice,
            drug="morphine",
            strength=10,
            per_day=3,
            started_on=dt.date(2026, 6, 2),
            by=world.nina,
        )
        assert current_mme(world.alice) == 30
        assert population_queryset(world.nina).get(pk=world.alice.pk).mme == 30


def _views() -> list[Path]:
    """Every module that draws pages: views modules, and any other that renders a template."""
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts
        and (p.stem.endswith("views") or "django.shortcuts" in p.read_text(encoding="utf-8"))
    )


def _as_text(node: ast.AST, name: str) -> bool:
    """Whether `node` turns the caught exception `name` into words for a page."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "str":
        return any(getattr(a, "id", "") == name for a in node.args)
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == name:
        return node.attr in {"message", "messages", "args", "message_dict"}
    if isinstance(node, ast.FormattedValue):
        return getattr(node.value, "id", "") == name
    return False


def _refusals_shown_another_way(source: str) -> list[int]:
    """Lines of `except` blocks that show an error without show_service_error: a
    ValidationError not passed to it, or any caught exception made into text for the page
    (an error string in the context, a message of its own)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        helped = [
            call
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and getattr(call.func, "id", getattr(call.func, "attr", "")) == "show_service_error"
        ]
        inside_helper = {id(n) for call in helped for n in ast.walk(call)}
        validation = any(
            getattr(c, "id", getattr(c, "attr", "")) == "ValidationError" for c in caught
        )
        as_text = node.name is not None and any(
            _as_text(n, node.name) and id(n) not in inside_helper
            for stmt in node.body
            for n in ast.walk(stmt)
        )
        if (validation and not helped) or as_text:
            found.append(node.lineno)
    return found


def _templates() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.html") if "templates" in p.parts)


def test_a_page_shows_a_services_error_one_way():
    """platform.http.show_service_error and platform/_error_summary.html, nothing else: no
    error strings in the context, no messages.error of its own, no error summary drawn by
    another template."""
    assert _views(), "no views found"
    shown_another_way = [
        f"{path.relative_to(SRC)}:{line}"
        for path in _views()
        for line in _refusals_shown_another_way(path.read_text(encoding="utf-8"))
    ]
    assert shown_another_way == []
    own_messages = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and path.relative_to(SRC) != Path("platform/http.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "error"
        and getattr(node.func.value, "id", "") == "messages"
    ]
    assert own_messages == []
    partial = SRC / "platform" / "templates" / "platform" / "_error_summary.html"
    assert 'class="error-summary"' in partial.read_text(encoding="utf-8")
    drawn_elsewhere = [
        str(path.relative_to(SRC))
        for path in _templates()
        if path != partial and "error-summary" in path.read_text(encoding="utf-8")
    ]
    assert drawn_elsewhere == []


def test_it_notices_a_refusal_put_in_the_context():
    page = (
        "def v(request, form):\n"
        "    try:\n"
        "        act()\n"
        "    except ValidationError as exc:\n"
        "        error = ' '.join(exc.messages)\n"
        "    try:\n"
        "        act()\n"
        "    except (ValueError, ValidationError) as exc:\n"
        "        show_service_error(request, exc, form)\n"
        "    try:\n"
        "        act()\n"
        "    except CheckinInvalid as exc:\n"
        "        return render(request, 'p.html', {'error': str(exc)})\n"
        "    try:\n"
        "        act()\n"
        "    except MMEError as error:\n"
        "        preview = {'error': error.message()}\n"
        "    try:\n"
        "        act()\n"
        "    except MMEError as error:\n"
        "        show_service_error(request, error.message())\n"
        "    except LinkRefused as exc:\n"
        "        return refused(request, exc)\n"
    )
    assert _refusals_shown_another_way(page) == [4, 12, 16]


def _is_now(node: ast.expr) -> bool:
    """`now`, or a call of something named now (clock.now(), timezone.now())."""
    if isinstance(node, ast.Name):
        return node.id == "now"
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "now"
    )


def _todays_computed_another_way(source: str) -> list[int]:
    """Lines that work out today's date without platform.clock: timezone.localdate(),
    date.today(), and now's date in some zone (`now.astimezone(z).date()`,
    `localtime(now, z).date()`, `now.date()`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name == "localdate" or (
            name == "today" and ast.unparse(node.func).endswith("date.today")
        ):
            found.append(node.lineno)
        elif name == "date" and isinstance(node.func, ast.Attribute) and not node.args:
            of = node.func.value
            if isinstance(of, ast.Call):
                inner = getattr(of.func, "attr", getattr(of.func, "id", ""))
                if inner == "astimezone" and isinstance(of.func, ast.Attribute):
                    of = of.func.value
                elif inner == "localtime" and of.args:
                    of = of.args[0]
            if _is_now(of):
                found.append(node.lineno)
    return found


def test_today_at_the_clinic_is_computed_only_by_the_clock():
    """platform.clock.clinic_today(site, now) is the one way to ask what day it is."""
    home = SRC / "platform" / "clock.py"
    elsewhere = [
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        if path != home and "migrations" not in path.parts
        for line in _todays_computed_another_way(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []
    assert _todays_computed_another_way(home.read_text(encoding="utf-8"))  # it is found there


def test_it_notices_today_computed_another_way():
    source = (
        "a = timezone.localdate(now, zone)\n"
        "b = now.astimezone(zone).date()\n"
        "c = timezone.localtime(clock.now(), zone).date()\n"
        "d = now.date()\n"
        "e = dt.date.today()\n"
        "f = score.at.astimezone(zone).date()\n"
        "g = clock.clinic_today(site, now)\n"
    )
    assert _todays_computed_another_way(source) == [1, 2, 3, 4, 5]


def test_the_idempotency_key_builders_live_in_the_submit_service():
    """The HTTP modules call them; they define none of their own."""
    defined = {
        str(path.relative_to(SRC)): sorted(
            node.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and "idempotency_key" in node.name
        )
        for path in (SRC / "checkins" / "api.py", SRC / "interop" / "fhir_api.py")
    }
    assert defined == {"checkins/api.py": [], "interop/fhir_api.py": []}
    from coproduce.checkins import services

    for name in ("web", "api", "system", "cli"):
        name = f"{name}_idempotency_key"
        assert getattr(services, name).__module__ == "coproduce.checkins.services"
