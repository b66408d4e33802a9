import json

from coproduce.instruments.library import LIBRARY_DIR


def test_it_lists_the_instrument_library(client, world):
    client.force_login(world.alice.user)
    res = client.get("/api/v1/instruments/")
    assert res.status_code == 200
    ids = {(i["id"], i["version"]) for i in res.json()}
    assert {("phq9", "1.0"), ("peg", "1.0"), ("gad7", "1.0")} <= ids


def test_it_returns_the_questionnaire_as_shipped(client, world):
    client.force_login(world.nina)
    res = client.get("/api/v1/instruments/phq9")
    assert res.status_code == 200
    shipped = json.loads((LIBRARY_DIR / "phq9-1.0.json").read_text(encoding="utf-8"))
    assert res.json() == shipped
    assert client.get("/api/v1/instruments/phq9?version=1.0").json() == shipped


def test_it_answers_an_unknown_instrument_or_version_with_404(client, world):
    client.force_login(world.nina)
    assert client.get("/api/v1/instruments/nope").status_code == 404
    assert client.get("/api/v1/instruments/phq9?version=9.9").status_code == 404


def test_it_needs_a_login(client, db):
    assert client.get("/api/v1/instruments/").status_code == 401
    assert client.get("/api/v1/instruments/phq9").status_code == 401
