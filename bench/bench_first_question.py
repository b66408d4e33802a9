"""Time to the first answerable question: coproduce's check-in link vs LHC-Forms (PHQ-9).

Both are loaded in the same chromium (/usr/bin/chromium) with the CPU throttled 4x
(CDP Emulation.setCPUThrottlingRate) and a 150 ms / 1.6 Mbit/s network
(Network.emulateNetworkConditions), the cache disabled, one fresh browser context per load.
"First answerable" is the moment the first question's answer control is visible and enabled:
coproduce's first radio button (the link now opens on the first question), LHC-Forms' first
PHQ-9 answer field once ``LForms.Util.addFormToPage`` has drawn the form. Bytes are what went
over the wire (CDP encodedDataLength), so compression counts.

coproduce runs as ``coproduce demo --no-worker`` in a temporary directory (its SQLite data is
removed at the end) on 127.0.0.1:8142; LHC-Forms 40 is served as static files from
tests/interop/npm/vendor (``tests/interop/npm/fetch-lforms.sh`` fetches it from the npm
registry; it is used for this benchmark and the interop test only) on 127.0.0.1:8143, with
the PHQ-9 Questionnaire coproduce ships inlined in the page.

    tests/interop/npm/fetch-lforms.sh
    .venv/bin/python bench/bench_first_question.py [--runs 5]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LFORMS = ROOT / "tests/interop/npm/vendor/lforms-40.1.3/dist/lforms"
PHQ9 = ROOT / "src/coproduce/instruments/library/phq9-1.0.json"
COPRODUCE_PORT, LHC_PORT = 8142, 8143
CPU_RATE = 4
NETWORK = {
    "offline": False,
    "latency": 150,  # ms, added to every round trip
    "downloadThroughput": 1_600_000 / 8,  # bytes/s
    "uploadThroughput": 1_600_000 / 8,
}

LHC_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PHQ-9 in LHC-Forms</title>
<link rel="stylesheet" href="/lforms/webcomponent/styles.css">
</head><body><div id="form"></div>
<script src="/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="/lforms/webcomponent/lhc-forms.js"></script>
<script src="/lforms/fhir/lformsFHIRAll.min.js"></script>
<script>
var q = %s;
function draw() {
  if (window.LForms && LForms.Util && LForms.Util.addFormToPage) {
    LForms.Util.addFormToPage(q, "form", {});
  } else { setTimeout(draw, 10); }
}
draw();
</script></body></html>"""


def _start_coproduce(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "COPRODUCE_MODE": "demo",
        "COPRODUCE_VAR_DIR": str(workdir / "var"),
        "COLUMNS": "400",
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/coproduce"), "demo", "--no-worker", "--port", str(COPRODUCE_PORT)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 600
    link = ""
    for line in server.stdout:
        found = re.search(rf"http://127\.0\.0\.1:{COPRODUCE_PORT}/c/[A-Za-z0-9_-]+/", line)
        if found:
            link = found.group(0)
        if "Quit the server" in line or "Starting development server" in line:
            break
        if time.monotonic() > deadline:
            break
    if not link:
        server.kill()
        raise SystemExit("coproduce demo printed no check-in link")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()  # type: ignore[union-attr]
    return server, link


def _start_lhc(workdir: Path) -> http.server.ThreadingHTTPServer:
    site = workdir / "lhc"
    site.mkdir()
    shutil.copytree(LFORMS, site / "lforms")
    (site / "index.html").write_text(LHC_PAGE % PHQ9.read_text(), encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no access log on the benchmark's output
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", LHC_PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _load(browser, url: str, selector: str) -> tuple[float, int, int]:
    """(seconds to the first answerable question, bytes over the wire, requests)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_RATE})
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e["encodedDataLength"])))
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    page.locator(selector).first.wait_for(state="visible")
    page.wait_for_function(
        "s => { const e = document.querySelector(s); return e && !e.disabled; }", arg=selector
    )
    elapsed = time.monotonic() - start
    page.wait_for_timeout(200)  # let the last loadingFinished events arrive
    context.close()
    return elapsed, sum(sizes), len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (LFORMS / "webcomponent/lhc-forms.js").exists():
        raise SystemExit("LHC-Forms is missing: run tests/interop/npm/fetch-lforms.sh first")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as tmp:
        workdir = Path(tmp)
        coproduce, link = _start_coproduce(workdir)
        lhc = _start_lhc(workdir)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
                )
                cases = {
                    "coproduce check-in link": (link, "label.opt input[type=radio]"),
                    "LHC-Forms 40, PHQ-9": (
                        f"http://127.0.0.1:{LHC_PORT}/",
                        "[id='phq9-1/1/1']",
                    ),
                }
                results = {}
                for name, (url, selector) in cases.items():
                    _load(browser, url, selector)  # warm the servers, not the browser cache
                    runs = [_load(browser, url, selector) for _ in range(args.runs)]
                    results[name] = {
                        "seconds_median": round(statistics.median(r[0] for r in runs), 2),
                        "seconds_all": [round(r[0], 2) for r in runs],
                        "kilobytes": round(statistics.median(r[1] for r in runs) / 1000, 1),
                        "requests": int(statistics.median(r[2] for r in runs)),
                    }
                browser.close()
        finally:
            lhc.shutdown()
            coproduce.terminate()
            coproduce.wait(timeout=30)
    ours, theirs = results["coproduce check-in link"], results["LHC-Forms 40, PHQ-9"]
    results["ratio"] = {
        "time": round(theirs["seconds_median"] / ours["seconds_median"], 1),
        "bytes": round(theirs["kilobytes"] / ours["kilobytes"], 1),
    }
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
