"""Check a rollout report in a real headless browser (Chromium): rendered 1280 px wide, the
summary, every table and every figure must be visible and nothing may overflow horizontally.

A copy of ``report.html`` gets a small script that writes the page's measurements (document
width, each table's and figure's box and its own scroll width) as JSON into a
``<pre id="layout-check">``; Chromium runs it and dumps the DOM, and the measurements are checked
here. The report itself stays free of scripts. Also writes a screenshot (``--screenshot``) to look
at, and a PDF printed with the report's print style sheet (``--pdf``).

Needs Chromium (Debian: ``apt-get install chromium``); not part of ``make test``.

Usage: python bench/report_check.py [REPORT_HTML] [--width 1280] [--screenshot PNG] [--pdf PDF]
Exits 1 naming every failed check."""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Measurements the check page writes into the DOM.
MEASURE = """
<pre id="layout-check"></pre>
<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), id: el.id || "", cls: el.className || "",
            left: r.left + scrollX, right: r.right + scrollX, width: r.width, height: r.height,
            scroll_width: el.scrollWidth, client_width: el.clientWidth,
            visible: s.display !== "none" && s.visibility !== "hidden" && r.width > 0 && r.height > 0,
            complete: el.tagName === "IMG" ? (el.complete && el.naturalWidth > 0) : true};
  }
  var de = document.documentElement;
  var out = {viewport: window.innerWidth, doc_scroll_width: de.scrollWidth, doc_client_width: de.clientWidth,
             body_scroll_width: document.body.scrollWidth,
             summary: document.getElementById("summary") ? box(document.getElementById("summary")) : null,
             tables: Array.prototype.map.call(document.querySelectorAll("table"), box),
             images: Array.prototype.map.call(document.querySelectorAll("figure img"), box),
             sections: Array.prototype.map.call(document.querySelectorAll("section"), box)};
  document.getElementById("layout-check").textContent = JSON.stringify(out);
})();
</script>
"""

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("report_check: no Chromium found (Debian: apt-get install chromium)")


def chromium(browser: str, args: list[str], profile: Path, timeout_s: float = 180.0) -> str:
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    if res.returncode != 0:
        sys.exit(f"report_check: chromium failed ({res.returncode}): {res.stderr[-2000:]}")
    return res.stdout


def measure(browser: str, page: Path, width: int, profile: Path) -> dict:
    """The page's measurements at ``width`` px, from the dumped DOM of its check copy."""
    text = page.read_text(encoding="utf-8")
    if "</body>" not in text:
        sys.exit(f"report_check: {page}: no </body>")
    check = page.with_name(".layout-check." + page.name)
    check.write_text(text.replace("</body>", MEASURE + "</body>", 1), encoding="utf-8")
    try:
        dom = chromium(browser, [f"--window-size={width},2000", "--run-all-compositor-stages-before-draw",
                                 "--virtual-time-budget=10000", "--dump-dom", check.resolve().as_uri()], profile)
    finally:
        check.unlink(missing_ok=True)
    m = re.search(r'<pre id="layout-check">(.*?)</pre>', dom, re.S)
    if not m or not m.group(1).strip():
        sys.exit("report_check: the measuring script did not run (no layout-check output in the DOM)")
    return json.loads(html.unescape(m.group(1)))


def problems(m: dict, width: int, n_tables: int, n_images: int) -> list[str]:
    """Every failed check of the measurements ``m`` (empty: the page passes)."""
    out = []
    if m["viewport"] != width:
        out.append(f"viewport is {m['viewport']} px, expected {width}")
    if m["doc_scroll_width"] > m["doc_client_width"]:
        out.append(f"the page overflows horizontally: {m['doc_scroll_width']} > {m['doc_client_width']} px")
    if not m["summary"] or not m["summary"]["visible"]:
        out.append("no visible summary section")
    if len(m["tables"]) != n_tables:
        out.append(f"{len(m['tables'])} tables rendered, the file has {n_tables}")
    if len(m["images"]) != n_images:
        out.append(f"{len(m['images'])} figures rendered, the file has {n_images}")
    for kind, boxes in (("table", m["tables"]), ("figure", m["images"]), ("section", m["sections"])):
        for i, b in enumerate(boxes, 1):
            name = f"{kind} {i}" + (f" ({b['cls']})" if b["cls"] else "") + (f" #{b['id']}" if b["id"] else "")
            if not b["visible"]:
                out.append(f"{name} is not visible")
            if not b["complete"]:
                out.append(f"{name}: the image did not load")
            if b["left"] < -0.5 or b["right"] > m["doc_client_width"] + 0.5:
                out.append(f"{name} reaches past the page: {b['left']:.0f}..{b['right']:.0f} px")
            if b["scroll_width"] > b["client_width"] + 1 and kind == "table":
                out.append(f"{name} overflows its box: {b['scroll_width']} > {b['client_width']} px")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", nargs="?", default="results/rollout_strategies/report.html")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--screenshot", default=None, help="PNG to write (default: report_check.png beside the report)")
    ap.add_argument("--pdf", default=None, help="PDF to print (default: report_check.pdf beside the report)")
    args = ap.parse_args(argv)
    page = Path(args.report).resolve()
    if not page.is_file():
        sys.exit(f"report_check: {page}: not found (make report first)")
    text = page.read_text(encoding="utf-8")
    n_tables, n_images = text.count("<table"), text.count('<figure>')
    if "@media print" not in text:
        print("report_check: no print style sheet (@media print)")
        return 1
    browser = find_chromium()
    shot = Path(args.screenshot or page.with_name("report_check.png")).resolve()
    pdf = Path(args.pdf or page.with_name("report_check.pdf")).resolve()
    with tempfile.TemporaryDirectory(prefix="report-check-") as tmp:
        m = measure(browser, page, args.width, Path(tmp) / "measure")
        chromium(browser, [f"--window-size={args.width},2000", f"--screenshot={shot}", page.as_uri()],
                 Path(tmp) / "shot")
        chromium(browser, ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], Path(tmp) / "pdf")
    found = problems(m, args.width, n_tables, n_images)
    if not shot.is_file() or shot.stat().st_size == 0:
        found.append(f"no screenshot written to {shot}")
    if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
        found.append(f"no PDF printed to {pdf}")
    print(f"report_check: {page.name} at {args.width} px: page {m['doc_scroll_width']} px wide, "
          f"{len(m['tables'])} tables, {len(m['images'])} figures; screenshot {shot.name}, PDF {pdf.name} "
          f"({os.path.getsize(pdf) if pdf.is_file() else 0:,} bytes)")
    for p in found:
        print("FAIL:", p)
    print("report_check: " + ("failed" if found else "passed"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
