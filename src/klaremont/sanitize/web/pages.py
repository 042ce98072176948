"""The console's page of sanitised copies (``/staff/sanitize``) and one run's report."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from klaremont.errors import NotFound
from klaremont.sanitize.models import SanitizeRun
from klaremont.sanitize.permissions import SanitizePermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(SanitizePermission.SANITIZE_READ, page=True))]


#: each rule in words, for the report page
RULE_WORDS: Final = {
    "keep": "kept",
    "null": "emptied",
    "generalise:unusable_password": "a password nobody knows",
    "generalise:empty_json": "emptied",
    "derived:blind_index": "search index made again from the new value",
    "pseudonymise:uuid": "new id (the same for the same record everywhere)",
    "pseudonymise:full_name": "made-up name",
    "pseudonymise:date_of_birth": "date of birth moved, same age band",
    "pseudonymise:email": "made-up e-mail address (example.com)",
    "pseudonymise:phone": "telephone number from the drama range",
    "pseudonymise:mobile": "mobile number from the drama range",
    "pseudonymise:reference": "reference renumbered, format kept",
    "pseudonymise:address_line": "made-up street address",
    "pseudonymise:address": "made-up postal address",
    "pseudonymise:town": "made-up town",
    "pseudonymise:postcode": "made-up postcode",
    "pseudonymise:card_token": "test card token",
    "pseudonymise:card_last4": "last four digits of a test card",
    "pseudonymise:username": "made-up user name",
    "pseudonymise:actor": "who did it, renamed",
    "pseudonymise:text": "text replaced",
    "pseudonymise:hex_digest": "fingerprint replaced",
    "pseudonymise:mac": "made-up device address",
    "pseudonymise:ip": "address from the documentation range",
}


def rules_in_words(columns: dict[str, str]) -> list[tuple[str, str]]:
    """(what was done, which columns) for one table, columns in words."""
    grouped: dict[str, list[str]] = {}
    for column, rule in columns.items():
        words = RULE_WORDS.get(rule, rule.replace("_", " "))
        grouped.setdefault(words, []).append(column.replace("_", " "))
    return [(words.capitalize(), ", ".join(names)) for words, names in grouped.items()]


def _row(run: SanitizeRun) -> dict[str, Any]:
    return {
        "reference": run.reference,
        "started": run.started_at.strftime("%Y-%m-%d %H:%M"),
        "target": run.target,
        "rows": f"{run.rows_written:,}",
        "passed": run.passed,
    }


@router.get("/sanitize")
def sanitize_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Every sanitised copy made, newest first."""
    runs = uow.session.scalars(select(SanitizeRun).order_by(SanitizeRun.started_at.desc()))
    return render("staff/sanitize_runs.html", staff=staff, runs=[_row(r) for r in runs])


@router.get("/sanitize/{reference}")
def sanitize_run_page(reference: str, staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """One run's report: the verification and every table's rules."""
    run = uow.session.scalar(select(SanitizeRun).where(SanitizeRun.reference == reference))
    if run is None:
        raise NotFound(f"no development copy called {reference[:20]!r}")
    report = json.loads(run.report)
    for table in report.get("tables", []):
        table["in_words"] = rules_in_words(table.get("columns", {}))
    return render("staff/sanitize_run.html", staff=staff, run=_row(run), report=report)
