"""The accessibility engine (axe-core in headless Chromium) and the checks every page gets.

axe-core comes from ``package-lock.json`` at the repository root (``scripts/bootstrap dev``
runs ``npm ci --ignore-scripts``). Its script is evaluated into the page through the
browser's developer protocol, so the page's own Content-Security-Policy (no inline script)
stays on while it is checked. The pages to check are read from the app's routes, so a new
console, privacy-centre or wireless page is checked without touching this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute

from klaremont.staff.demo_data import DEMO_STAFF
from klaremont.staff.permissions import role_permissions
from klaremont.staff.web.guard import access_rule_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = f"axe-core is not installed at {AXE.relative_to(ROOT)}: run scripts/bootstrap dev"
#: WCAG 2.0 and 2.1, levels A and AA
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: a violation of these impacts fails the test ("minor" and "moderate" are reported by axe
#: but do not fail it)
FAILING_IMPACTS = frozenset({"serious", "critical"})
TAB_ROUNDS = 3
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
SURFACES = ("/staff", "/privacy", "/wifi")
#: Who signs in to see a page: the first of these whose role may (director, DPO, ISO,
#: support, technical operations), so every page is seen once by someone allowed to.
STAFF_ORDER = ("derek", "dana", "ivan", "sam", "tara")

#: GET routes that are not pages a person reads in the browser, with the reason.
NOT_COVERED = {
    "/staff/accuracy-review.csv": "a CSV download",
    "/staff/access-review.csv": "a CSV download",
    "/staff/audit/export.csv": "a CSV download",
    "/staff/audit/export.json": "a JSON download",
    "/staff/compliance/evidence.zip": "a ZIP download",
    "/staff/compliance.pdf": "a PDF download",
    "/staff/compliance/{clause_id}.pdf": "a PDF download",
    "/staff/media/inventory.csv": "a CSV download",
    "/staff/media/disposals.csv": "a CSV download",
    "/staff/processors/record.csv": "a CSV download",
    "/staff/processors/record.json": "a JSON download",
    "/staff/processors/record.html": "a standalone HTML file downloaded for the records",
    "/staff/processors/shares/{reference}/export.{form}": "a file downloaded for a processor",
    "/staff/retention/preview/report.html": "a standalone HTML file downloaded for the records",
    "/staff/retention/preview/report.json": "a JSON download",
    "/staff/retention/runs/{reference}/report.html": "a standalone HTML file downloaded",
    "/staff/retention/runs/{reference}/report.json": "a JSON download",
    "/staff/requests/{reference}/copy.{fmt}": "the requester's copy, a file download",
    "/staff/scans/{reference}/report.json": "a JSON download",
    "/staff/scans/{reference}/report.sarif": "a SARIF download",
    "/staff/scans/{reference}/report.html": "a standalone HTML file downloaded",
    "/staff/media/registers.html": "a standalone HTML file downloaded for the records",
    "/privacy/requests/{reference}/download": "the customer's copy, a file download",
}
#: Pages seen before anyone signs in (the rest of /staff and /privacy are seen signed in).
SIGNED_OUT = ("/staff/login", "/privacy/sign-in")

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160)})),
  }));
}"""
_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"
#: Records every element keyboard focus lands on, and whether a focus style shows on it.
_WATCH_FOCUS = """() => {
  window.__focused = [];
  document.addEventListener("focusin", (event) => {
    const el = event.target, style = getComputedStyle(el);
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                 || style.boxShadow !== "none";
    window.__focused.push({key: window.__key(el), ring});
  });
  window.__key = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.name ? "[name=" + el.name + "]" : "")
    + (el.getAttribute("href") ? "[href=" + el.getAttribute("href") + "]" : "")
    + ":" + (el.textContent || el.value || "").trim().slice(0, 30);
}"""
#: Tab starts again from the top of the page (as on a fresh load without autofocus), or
#: from the start of the page's main part.
_FROM_THE_TOP = """(selector) => {
  const start = document.querySelector(selector) || document.body;
  start.setAttribute("tabindex", "-1"); start.focus(); start.removeAttribute("tabindex");
  window.__focused = [];
}"""
#: The interactive elements a person can see (one per radio group, as Tab visits).
_INTERACTIVE = """(selector) => {
  const seen = new Set(), start = document.querySelector(selector) || document.body;
  const after = (el) => start.contains(el)
    || (start.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  return [...document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]")]
    .filter(el => after(el) && !el.disabled && el.checkVisibility({visibilityProperty: true})
                  && !(el.tabIndex < 0 && !el.matches("a[href], button, input, select, textarea")))
    .filter(el => {
      if (el.type !== "radio") return true;
      if (seen.has(el.name)) return false;
      seen.add(el.name); return true;
    })
    .map(el => ({key: window.__key(el), radio: el.type === "radio" ? el.name : null}));
}"""


@dataclass(frozen=True)
class PageRoute:
    """A GET page: its route path and who may see it."""

    path: str
    who: str  # a demo staff username, "customer", "guest" or "nobody" (signed out)

    @property
    def params(self) -> int:
        return self.path.count("{")

    def pattern(self) -> re.Pattern[str]:
        """The hrefs that fill this route's path parameters."""
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/?#]+", re.escape(self.path)) + "$")


@dataclass
class Findings:
    """What the checks found, page by page (empty when every page passes)."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def add(self, url: str, problem: str) -> None:
        self.problems.append(f"{url}: {problem}")

    def report(self) -> str:
        return f"{len(self.problems)} problems on {len(self.checked)} pages:\n" + "\n".join(
            self.problems
        )


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _who(route: APIRoute) -> str:
    if route.path in SIGNED_OUT:
        return "nobody"
    if route.path.startswith("/privacy"):
        return "customer"
    if route.path.startswith("/wifi"):
        return "guest"
    rule = access_rule_of(route)
    held = role_permissions()
    staff = {s.username: s for s in DEMO_STAFF}
    for username in STAFF_ORDER:
        if rule is None or rule.permissions <= held[staff[username].role]:
            return username
    msg = f"no demo member of staff may see {route.path}"
    raise AssertionError(msg)


def pages(app: FastAPI) -> list[PageRoute]:
    """Every GET page of the console, the privacy centre and the wireless portal."""
    found = {
        route.path: PageRoute(route.path, _who(route))
        for route in _api_routes(list(app.routes))
        if "GET" in (route.methods or set())
        and route.path.startswith(SURFACES)
        and route.path not in NOT_COVERED
    }
    return sorted(found.values(), key=lambda p: (p.params, p.path))


def check_page(page: Any, url: str, findings: Findings, *, tab_from: str = "body") -> None:
    """axe-core at desktop size, no sideways scrolling on a phone, and every interactive
    element from ``tab_from`` on (the whole page, or ``main`` once the same navigation has
    been tabbed through) reached by Tab with a visible focus style."""
    findings.checked.append(url)
    if page.evaluate("() => typeof window.axe") == "undefined":
        page.evaluate(_axe_source())
    for violation in page.evaluate(_AXE_RUN, list(WCAG_TAGS)):
        if violation["impact"] in FAILING_IMPACTS:
            where = "; ".join(f"{n['target']} {n['html']}" for n in violation["nodes"][:5])
            findings.add(
                url, f"axe {violation['impact']} {violation['id']} ({violation['help']}): {where}"
            )
    page.set_viewport_size(PHONE)
    scroll, inner = page.evaluate(_WIDTH)
    if scroll > inner + 1:
        findings.add(url, f"on a phone the page scrolls sideways ({scroll}px wide in {inner}px)")
    page.set_viewport_size(DESKTOP)
    _check_tabbing(page, url, findings, tab_from)


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _check_tabbing(page: Any, url: str, findings: Findings, tab_from: str) -> None:
    page.evaluate(_WATCH_FOCUS)
    wanted = page.evaluate(_INTERACTIVE, tab_from)
    page.evaluate(_FROM_THE_TOP, tab_from)
    missed: list[str] = []
    focused: list[dict[str, Any]] = []
    for _ in range(TAB_ROUNDS):  # a date field takes a Tab per part: go on while some are left
        for _ in range(len(wanted) + 3):
            page.keyboard.press("Tab")
        focused = page.evaluate("() => window.__focused")
        reached = {f["key"] for f in focused}
        radios_reached = {w["radio"] for w in wanted if w["radio"] and w["key"] in reached}
        missed = [
            w["key"]
            for w in wanted
            if w["key"] not in reached and not (w["radio"] and w["radio"] in radios_reached)
        ]
        if not missed:
            break
    if missed:
        findings.add(url, f"not reached by Tab: {missed[:5]}")
    unringed = sorted({f["key"] for f in focused if not f["ring"]})
    if unringed:
        findings.add(url, f"no visible focus style on: {unringed[:5]}")
