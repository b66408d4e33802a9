"""Research data in a browser: a researcher asks, the PI approves, the researcher downloads;
the coordinator works the data-quality queries; outcome tables for both."""

from __future__ import annotations

import zipfile

from playwright.sync_api import expect

from coproduce.research.datamodels import DataQuery
from tests.browser.conftest import check, log_in, log_out


def test_an_export_is_asked_approved_and_downloaded(demo, page):
    log_in(page, "researcher")
    page.goto("/research/studies/empower/")
    page.get_by_role("link", name="De-identified exports").click()
    page.get_by_label("What the data are for").fill("Pain trajectories by arm")
    page.get_by_role("button", name="Send the request to the PI").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_text("Your request is with the study's PI.")).to_be_visible()
    check(page, "research-export-requested")
    page.goto("/research/studies/empower/outcomes/")
    check(page, "research-outcomes-researcher")
    log_out(page)

    log_in(page, "pi")
    page.goto("/research/studies/empower/exports/")
    expect(page.get_by_text("Pain trajectories by arm")).to_be_visible()
    check(page, "research-export-pi")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_text("Approved: the export is ready for the researcher.")).to_be_visible()
    log_out(page)

    log_in(page, "researcher")
    page.goto("/research/studies/empower/exports/")
    check(page, "research-export-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (zip)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
        assert {"participants.csv", "manifest.json", "data_dictionary.csv"} <= names
        assert "CP-DEMO" not in archive.read("participants.csv").decode()


def test_the_coordinator_works_the_data_quality_queries(demo, page):
    assert DataQuery.objects.filter(status="open").exists()
    log_in(page, "coordinator")
    page.goto("/research/studies/empower/")
    page.get_by_role("link", name="Data quality").click()
    expect(page.get_by_role("heading", name="Queries to work")).to_be_visible()
    check(page, "research-quality")
    first = DataQuery.objects.filter(status="open").order_by("-created_at", "pk").first()
    page.get_by_label("Your answer").first.fill("Checked with the participant: no survey sent")
    page.get_by_role("button", name="Answer and close").first.click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_text("Query answered.")).to_be_visible()
    assert DataQuery.objects.filter(status="closed").count() == 1
    assert DataQuery.objects.get(status="closed").pk == first.pk
    check(page, "research-quality-closed")
    page.goto("/research/studies/empower/outcomes/")
    check(page, "research-outcomes-coordinator")
