"""The comparison report as a browser shows it: headless Chromium (Debian's `chromium` package) driven by
Playwright for Python, never a downloaded browser.

    python -m benchmarks.report_browser RESULTS/comparison/report.html [--screenshots docs/images]

loads the page at desktop (1280 px) and phone (390 px) width, prints what it checks (console errors, images that
fail to decode, a page wider than the screen, script elements) and, with --screenshots, writes
report-desktop.png and report-phone.png (the page from its top to the end of the section on the documents that
are not translations). tests/test_report_browser.py runs the same checks in the test suite.
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
SCREENSHOT_END = "not-parallel"
INSTALL = "apt-get install chromium; pip install -e '.[browser]'"

IMAGES = ("els => els.map(e => ({name: e.getAttribute('data-chart') || e.alt, complete: e.complete, "
          "width: e.naturalWidth}))")
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
SCRIPTS = "() => document.querySelectorAll('script').length"
SECTIONS = "els => Object.fromEntries(els.map(e => [e.id, e.innerText]))"


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

    @property
    def broken_images(self) -> list[str]:
        return [image["name"] for image in self.images if not image["complete"] or image["width"] == 0]


def top_of_report(page, width: int) -> dict | None:
    """The screenshot's region: from the top down to the end of the section on the documents that are not
    translations (metadata, summary and that section: what the docs show); None, the whole page, without it."""
    box = page.locator(f"#{SCREENSHOT_END}").bounding_box() if page.locator(f"#{SCREENSHOT_END}").count() else None
    return None if box is None else {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 16}


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
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True, clip=top_of_report(page, width))
    page.close()
    return view


def view_report(report: Path, screenshots: Path | None = None) -> dict[str, PageView]:
    """The report at every width in WIDTHS; with `screenshots`, a full-page PNG of each (report-<width name>.png)."""
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
              f"{view.script_elements} script elements")
    found = problems(views)
    print("\n".join(found) if found else "report.html: no problem found")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
