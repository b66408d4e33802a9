"""The API docs page in chromium: Swagger UI renders the operations under the site's own
Content-Security-Policy, and no request leaves this server (the page works offline)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def test_the_api_docs_render_offline_under_the_csp(world, page, live_server):
    here = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_here(route):
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_here)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "nina", "pw-for-tests")
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="coproduce API")).to_be_visible()
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = operations.all_inner_texts()
    assert "/api/v1/checkins/" in [p.replace("\u200b", "") for p in paths], paths
    # Swagger UI would send the schema's address to validator.swagger.io for a badge.
    assert page.evaluate("() => ui.getConfigs().validatorUrl") is None
    screenshot(page, "api-docs")
    assert elsewhere == []
    assert refused == []
