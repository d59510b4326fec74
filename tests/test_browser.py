"""The notebook view in a real browser: headless Chromium draws the sparklines and runs
nothing that a log put in the view."""

import importlib.util
import json
import os
import re
import shutil
import subprocess

import pytest

import laaos

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium (Debian: apt-get install chromium)")

# Each would change the page if the view let it run: the test's own script (below, not
# part of the view) reports what it finds.
HOSTILE = {
    "<script>document.body.dataset.pwned='script'</script>": 1.0,
    '"><img src=x onerror="document.body.dataset.pwned=\'img\'">': '<img src=x onerror="document.body.dataset.pwned=1">',
    "<svg onload=\"document.body.dataset.pwned='svg'\">": [1.0, 2.0],
    "bidi\u202eevil": "\x1b[31mred",
}

# Measures what the browser laid out, after everything in the page had its chance to run.
MEASURE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const svgs = [...document.querySelectorAll(".laaos-view svg")].map(s => {
    const r = s.getBoundingClientRect();
    const lines = [...s.querySelectorAll("polyline")].map(p => p.getBBox()).map(b => [b.width, b.height]);
    return {width: r.width, height: r.height, lines};
  });
  const out = document.createElement("pre");
  out.id = "measured";
  out.hidden = true;
  out.textContent = JSON.stringify({svgs, pwned: document.body.dataset.pwned || null,
                                    scripts: document.querySelectorAll(".laaos-view script").length,
                                    images: document.querySelectorAll("img").length});
  document.body.appendChild(out);
}, 200));
</script>"""


def render(html, tmp_path, *extra):
    page = tmp_path / "view.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{html}{MEASURE}</body></html>",
                    encoding="utf-8")
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def measured(dom):
    found = re.search(r'<pre id="measured" hidden="">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def write_sweep(tmp_path, data):
    for i, lr in enumerate([0.1, 0.01, 0.001]):
        with laaos.open_file_store(f"lr{lr}", "", prefix=str(tmp_path / "runs") + "/", truncate=True) as store:
            store["config"] = {"lr": lr, **data}
            store["losses"] = [1 / (1 + lr * s) + (s % 7) / 50 for s in range(500)]
    return laaos.load_many(str(tmp_path / "runs" / "*.py"))


def test_the_sparklines_are_drawn_and_nothing_from_the_log_runs(tmp_path):
    runs = write_sweep(tmp_path, HOSTILE)
    log = laaos.load(next(iter(runs)))
    result = measured(render(runs._repr_html_() + log._repr_html_(), tmp_path, "--dump-dom"))
    assert result["pwned"] is None and result["scripts"] == 0 and result["images"] == 0
    assert len(result["svgs"]) == 3 * 2 + 2  # the sweep: losses and the hostile series per run; the log: both
    for svg in result["svgs"]:
        assert svg["width"] > 0 and svg["height"] > 0
        assert svg["lines"] and all(w > 0 or h > 0 for w, h in svg["lines"])


def test_a_screenshot_of_the_example_sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("sweep_example", os.path.join(EXAMPLES, "sweep.py"))
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    sweep.run_all()
    runs = laaos.load_many("runs/sweep/*.py")
    render(runs._repr_html_(), tmp_path, "--screenshot=" + str(tmp_path / "shot.png"), "--window-size=720,170",
           "--hide-scrollbars", "--force-device-scale-factor=1")
    png = (tmp_path / "shot.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    if os.environ.get("LAAOS_SCREENSHOT"):  # (how docs/notebook-view.png is made)
        shutil.copy(tmp_path / "shot.png", os.environ["LAAOS_SCREENSHOT"])
