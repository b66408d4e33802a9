"""The API docs page works offline: Swagger UI comes from our own static files, not a CDN."""

import re


def test_the_docs_page_loads_swagger_from_our_static_files(client, world):
    client.force_login(world.nina)
    res = client.get("/api/v1/docs")
    assert res.status_code == 200
    page = res.content.decode()
    assert "cdn" not in page.lower()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])


def test_the_docs_page_needs_a_login(client, db):
    assert client.get("/api/v1/docs").status_code == 302
