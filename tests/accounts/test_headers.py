"""Every response carries a strict CSP and no-store; pages hold no inline script or style.

The URLs come from walking the resolver, so routes added later (e.g. under /fhir/R4/) are
covered without touching this file.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path

INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:json|ld\+json)\")[^>]*>", re.I
)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle=\"", re.I)
HANDLER_ATTR = re.compile(r"<[^>]+\son[a-z]+=\"", re.I)
STYLE_WITHOUT_NONCE = re.compile(r"<style(?![^>]*\bnonce=)", re.I)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route: str, registry_id: str) -> str:
    """Fill a route's converters (and the admin's two regex routes) with sample values."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<app_label>([a-z_]+)\|[^)]*\)", r"\1", route)
    route = re.sub(r"\(\?P<url>\.\*\)", "no-such-page/", route)
    route = re.sub(r"<(?:str:)?registry_id>", registry_id, route)
    route = re.sub(r"<int:[a-z_]+>", "1", route)
    route = re.sub(r"<(?:str:|slug:|path:)?[a-z_0-9]+>", "x" * 40, route)
    return "/" + route


def all_urls(registry_id: str) -> list[str]:
    return sorted({_concrete(r, registry_id) for r in _walk(get_resolver().url_patterns)})


def check_response(url: str, response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "frame-ancestors 'none'" not in csp:
        problems.append(f"{url}: CSP is {csp!r}")
    if "unsafe-inline" in csp:
        problems.append(f"{url}: CSP allows unsafe-inline")
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"{url}: Cache-Control is {response.get('Cache-Control')!r}")
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        html = response.content.decode()
        for name, regex in [
            ("inline script", INLINE_SCRIPT),
            ("style attribute", STYLE_ATTR),
            ("event handler attribute", HANDLER_ATTR),
            ("<style> without nonce", STYLE_WITHOUT_NONCE),
        ]:
            if found := regex.search(html):
                problems.append(f"{url}: {name}: {found.group(0)[:120]}")
    return problems


@pytest.mark.parametrize("who", ["anonymous", "nina", "alice", "adam", "quinn", "paula"])
def test_every_route_has_the_headers_and_no_inline_code(client, world, who):
    if who == "alice":
        client.force_login(world.alice.user)
    elif who != "anonymous":
        client.force_login(getattr(world, who))
    urls = all_urls(world.alice.registry_id)
    assert len(urls) > 80
    assert "/admin/" in urls and "/api/v1/docs" in urls
    problems = []
    for url in urls:
        if url.endswith(("/logout/", "/logout-everywhere/")):
            continue  # a GET there is refused (405) and checked below with the rest
        problems += check_response(url, client.get(url))
    problems += check_response("/logout/", client.get("/logout/"))
    assert problems == []


def test_the_not_found_page_has_the_headers(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert check_response("/no/such/page/", response) == []


def _explode(request):
    raise RuntimeError("boom")


urlpatterns = [path("explode/", _explode), path("ok/", lambda r: HttpResponse("ok"))]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_the_server_error_page_has_the_headers(client, db):
    client.raise_request_exception = False
    response = client.get("/explode/")
    assert response.status_code == 500
    assert check_response("/explode/", response) == []


def test_the_policy_allows_nothing_inline_and_no_framing(client, db):
    csp = client.get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["default-src"] == "'self'"


def test_a_chart_page_needs_nothing_the_policy_refuses(client, world):
    # The charts (platform.charts) carry presentation attributes only: no <style> element,
    # no style attribute, no script, so the strict policy needs no nonce for them.
    from tests.registry.test_pages import fill

    fill(world.alice)
    client.force_login(world.quinn)
    response = client.get("/registry/measures/checkin-completion/")
    assert response.status_code == 200
    body = response.content.decode()
    charts = re.findall(r"<svg\b.*?</svg>", body, re.S)
    assert charts
    for svg in charts:
        assert "<style" not in svg and "style=" not in svg and "<script" not in svg
