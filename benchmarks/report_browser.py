"""The comparison report as a browser shows it: headless Chromium (Debian's `chromium` package) driven by
Playwright for Python, never a downloaded browser.

    python -m benchmarks.report_browser RESULTS/comparison/report.html [--screenshots docs/images]

loads the page at desktop (1280 px) and phone (390 px) width, prints what it checks (console errors, images that
fail to decode, a page wider than the screen, script elements, a table or cell wider than the screen or clipped
in its box, right-to-left text not aligned right, a bidirectional override outside a <bdi> of its own, a section
missing from the contents) and, with --screenshots, writes report-desktop.png and report-phone.png (the first
screen of the page: the answer). tests/test_report_browser.py runs the same checks in the test suite.
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"    # Debian's package; `playwright install` downloads nothing here
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = 900
INSTALL = "apt-get install chromium; pip install -e '.[browser]'"

IMAGES = ("els => els.map(e => ({name: e.getAttribute('data-chart') || e.alt, complete: e.complete, "
          "width: e.naturalWidth}))")
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
SCRIPTS = "() => document.querySelectorAll('script').length"
TABLES = "() => document.querySelectorAll('table').length"
SECTIONS = "els => Object.fromEntries(els.map(e => [e.id, e.innerText]))"
# Every table, its scroll box and each of its cells: wider than the screen, or its content wider than its box
# (scrollWidth over clientWidth: a column cut off, or spilling over its neighbour).
CLIPPED = """() => {
  const screen = document.documentElement.clientWidth, found = [];
  for (const el of document.querySelectorAll('table, .scroll, th, td')) {
    const box = el.getBoundingClientRect(), where = el.closest('section, header, nav');
    const what = `${el.tagName.toLowerCase()} in #${where ? where.id : 'body'} "${el.innerText.slice(0, 40)}"`;
    if (box.right > screen + 0.5 || box.left < -0.5)
      found.push(`${what} spans ${Math.round(box.left)}..${Math.round(box.right)} px of a ${screen} px screen`);
    if (el.scrollWidth > el.clientWidth + 1)
      found.push(`${what} is clipped: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
  }
  return found;
}"""
# Each block whose direction comes from its text (dir="auto") and is right-to-left: how many of its lines end left
# of its right edge (right-aligned wrapping ends every line there; text wrapped flush left does not).
RTL_BLOCKS = """() => {
  const blocks = [];
  for (const el of document.querySelectorAll('[dir="auto"]')) {
    const style = getComputedStyle(el);
    if (style.direction !== 'rtl' || style.display === 'inline' || !el.innerText.trim()) continue;
    const box = el.getBoundingClientRect();
    const right = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
    const lines = {};
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const r of range.getClientRects())
        if (r.width > 0) lines[Math.round(r.bottom)] = Math.max(lines[Math.round(r.bottom)] || -1e9, r.right);
    }
    blocks.push({what: `${el.tagName.toLowerCase()} "${el.innerText.slice(0, 30)}"`, text: el.innerText,
                 lines: Object.keys(lines).length, short: Object.values(lines).filter(end => end < right - 4).length});
  }
  return blocks;
}"""
# Text holding a bidirectional embedding, override or isolate (U+202A-E, U+2066-8): it must be the whole text of a
# <bdi> (its effect ends there), and the text right after that <bdi> on its line must stand to its right. Returns the
# problems found and how many such <bdi> had text after them on their line (the cases the second check measured).
OVERRIDES = r"""() => {
  let measured = 0;
  const found = [], controls = /[\u202a-\u202e\u2066-\u2068]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!controls.test(node.data)) continue;
    const shown = JSON.stringify(node.data.slice(0, 50));
    if (parent.tagName !== 'BDI' || parent.textContent !== node.data) {
      found.push(`${shown} in <${parent.tagName.toLowerCase()}> is not the whole text of a <bdi>`);
      continue;
    }
    const next = parent.nextSibling;
    if (!next || next.nodeType !== Node.TEXT_NODE || !next.data.trim()) continue;
    const range = document.createRange(), start = next.data.search(/\S/);
    range.setStart(next, start);
    range.setEnd(next, start + 1);
    const lines = parent.getClientRects(), name = lines[lines.length - 1];   // its last line
    const after = range.getBoundingClientRect();
    if (after.top >= name.bottom - 1 || after.bottom <= name.top + 1) continue;   // on the next line
    measured += 1;
    if (after.left < name.right - 1)
      found.push(`the text after ${shown} ("${next.data.slice(start, start + 20)}") is drawn left of it`);
  }
  return {found, measured};
}"""
# The table of contents: the sections it links to, and the sections the page has.
CONTENTS = """() => ({links: [...document.querySelectorAll('nav#contents a')].map(a => a.getAttribute('href')),
                      sections: [...document.querySelectorAll('section[id]')].map(s => '#' + s.id)})"""
FIRST = "selector => { const e = document.querySelector(selector); return e ? e.getBoundingClientRect().top : null; }"


def missing_browser() -> str | None:
    """Why the browser check cannot run here (no Chromium, or no Playwright), or None when it can."""
    if not Path(CHROMIUM).is_file() and not shutil.which("chromium"):
        return f"no {CHROMIUM}: install Debian's chromium ({INSTALL})"
    if importlib.util.find_spec("playwright") is None:
        return f"Playwright for Python is not installed ({INSTALL})"
    return None


@dataclass
class PageView:
    """What one width of the page showed."""
    width: int
    console_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    overflow_px: int = 0          # how much wider than the screen the page is (0: no sideways scrolling)
    script_elements: int = 0
    text: str = ""                # the page's text as displayed (innerText)
    sections: dict[str, str] = field(default_factory=dict)   # each <section id=...>'s displayed text
    tables: int = 0                                           # how many tables the clipping check measured
    clipped: list[str] = field(default_factory=list)          # tables and cells wider than the screen or their box
    rtl_blocks: list[dict] = field(default_factory=list)     # right-to-left blocks: what, text, lines, short
    overrides: list[str] = field(default_factory=list)        # bidi controls that can reverse the text around them
    overrides_measured: int = 0   # isolated names with text after them on their line, measured for reversal
    contents: dict = field(default_factory=dict)              # {"links": [...], "sections": [...]}, both "#id"
    first_verdict_top: float | None = None                    # where the first verdict line starts, px from the top

    @property
    def broken_images(self) -> list[str]:
        return [image["name"] for image in self.images if not image["complete"] or image["width"] == 0]

    @property
    def rtl_flush_left(self) -> list[str]:
        return [f"{b['what']}: {b['short']} of {b['lines']} lines end left of its right edge"
                for b in self.rtl_blocks if b["short"]]


def view_page(browser, report: Path, width: int, screenshot: Path | None = None) -> PageView:
    """Load the report at one width, as a user opens the file; collect console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    view = PageView(width)
    page.on("console", lambda message: view.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: view.console_errors.append(str(error)))
    page.goto(report.resolve().as_uri(), wait_until="load")
    view.images = page.eval_on_selector_all("img", IMAGES)
    view.overflow_px = page.evaluate(OVERFLOW)
    view.script_elements = page.evaluate(SCRIPTS)
    view.text = page.inner_text("body")
    view.sections = page.eval_on_selector_all("section", SECTIONS)
    view.tables = page.evaluate(TABLES)
    view.clipped = page.evaluate(CLIPPED)
    view.rtl_blocks = page.evaluate(RTL_BLOCKS)
    overrides = page.evaluate(OVERRIDES)
    view.overrides, view.overrides_measured = overrides["found"], overrides["measured"]
    view.contents = page.evaluate(CONTENTS)
    view.first_verdict_top = page.evaluate(FIRST, ".verdict")
    if screenshot is not None:
        page.screenshot(path=str(screenshot))   # the first screen: what a reader sees before scrolling
    page.close()
    return view


def view_report(report: Path, screenshots: Path | None = None) -> dict[str, PageView]:
    """The report at every width in WIDTHS; with `screenshots`, a PNG of each one's first screen
    (report-<width name>.png)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            return {name: view_page(browser, report, width,
                                    screenshots / f"report-{name}.png" if screenshots else None)
                    for name, width in WIDTHS.items()}
        finally:
            browser.close()


def problems(views: dict[str, PageView]) -> list[str]:
    found = []
    for name, view in views.items():
        found += [f"{name}: console error: {error}" for error in view.console_errors]
        found += [f"{name}: image does not decode: {image}" for image in view.broken_images]
        if view.overflow_px > 0:
            found.append(f"{name}: the page is {view.overflow_px} px wider than the {view.width} px screen")
        if view.script_elements:
            found.append(f"{name}: {view.script_elements} script element(s) in a report that has none")
        found += [f"{name}: {problem}" for problem in view.clipped + view.rtl_flush_left + view.overrides]
        if view.contents and view.contents["links"] != view.contents["sections"]:
            found.append(f"{name}: the contents link {view.contents['links']}, the page has {view.contents['sections']}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--screenshots", type=Path, help="folder for report-desktop.png and report-phone.png")
    args = parser.parse_args()
    reason = missing_browser()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    views = view_report(args.report, args.screenshots)
    for name, view in views.items():
        print(f"{name} ({view.width} px): {len(view.images)} images, {len(view.broken_images)} broken, "
              f"{len(view.console_errors)} console errors, {view.overflow_px} px sideways overflow, "
              f"{view.script_elements} script elements, {view.tables} tables, {len(view.clipped)} tables or cells clipped, "
              f"{len(view.rtl_flush_left)} right-to-left blocks aligned left, {len(view.overrides)} bidi overrides "
              "not isolated")
    found = problems(views)
    print("\n".join(found) if found else "report.html: no problem found")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
