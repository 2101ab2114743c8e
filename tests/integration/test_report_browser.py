"""The demo's HTML report in a real browser: headless Chromium (the Debian
package at /usr/bin/chromium, which ``.ci/run`` installs when missing), driven
by playwright's client (no browser download: ``executable_path``).

The test fails on any console error or uncaught page error, when the plots
did not render (plotly's ``.js-plotly-plot`` with drawn traces), or when an
episode's drill-down does not draw when opened.
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import shutil
from pathlib import Path

import pytest

from parity.cli import main

pytestmark = pytest.mark.postgres

CHROMIUM = os.environ.get("PARITY_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api  # a test dependency: missing = a failure, not a skip

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_report(pg_dsn, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "parity-report"
    assert main(["demo", "--dsn", pg_dsn, "--out", str(out)]) in (0, 1)
    return out / "report.html"


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_function(
        "document.body.dataset.plotsRendered || document.body.dataset.plotError", timeout=60_000
    )
    return page, problems


def test_demo_report_renders_its_plots_without_console_errors(browser, demo_report):
    page, problems = open_page(browser, demo_report)
    assert page.evaluate("document.body.dataset.plotError") is None
    assert int(page.evaluate("document.body.dataset.plotsRendered")) >= 1
    # the timeline drew: a plotly root with line traces and the state ribbons
    assert page.evaluate("document.querySelectorAll('section .js-plotly-plot').length") >= 1
    assert (
        page.evaluate("document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length")
        >= 8
    )
    assert (
        page.evaluate(
            "document.querySelectorAll('.js-plotly-plot .hm, .js-plotly-plot image').length"
        )
        >= 1
    )
    # zooming one panel zooms them all (linked x-axes)
    ranges = page.evaluate(
        """async () => {
          const el = document.querySelector('section .js-plotly-plot');
          const r = el._fullLayout.xaxis.range;
          await Plotly.relayout(el, {'xaxis.range': [r[0], el._fullLayout.xaxis.r2l(r[0]) + 3600e3]});
          return [1, 2, 3, 4].map(k => el._fullLayout['xaxis' + (k > 1 ? k : '')].range.map(String));
        }"""
    )
    assert all(r == ranges[0] for r in ranges)
    # the overview is a table with a verdict per symbol, sortable by a click
    assert page.inner_text("table.sortable tbody tr td:nth-child(2)") in ("pass", "FAIL")
    page.click("table.sortable th:nth-child(5)")
    # an episode's drill-down draws when opened
    episodes = page.query_selector_all("details.episode")
    assert episodes, "the demo world has divergence episodes"
    episodes[0].evaluate("d => { d.open = true; }")
    page.wait_for_function(
        "document.querySelector('details.episode div.plot').dataset.state === 'drawn'",
        timeout=30_000,
    )
    assert episodes[0].evaluate("d => d.querySelectorAll('.barlayer .point').length") > 3
    assert problems == []
    page.close()


def test_a_broken_figure_is_caught(browser, tmp_path, demo_report):
    """The check can fail: a page whose figure JSON is broken reports it."""
    broken = tmp_path / "report.html"
    text = demo_report.read_text(encoding="utf-8")
    packed = re.search(r'id="tl-[^"]*-gz">([^<]+)<', text)
    figure = gzip.decompress(base64.b64decode(packed.group(1))).decode()
    assert figure.startswith('{"data":[')
    bad = base64.b64encode(gzip.compress(figure.replace('{"data":[', '{"data":[}', 1).encode()))
    broken.write_text(text.replace(packed.group(1), bad.decode()), encoding="utf-8")
    page, problems = open_page(browser, broken)
    assert page.evaluate("document.body.dataset.plotError") or problems
    page.close()
