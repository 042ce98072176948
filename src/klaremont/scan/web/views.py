"""What the scan pages and the API show, as plain values, and the reports as downloads.

Counts are said in words ("3 card numbers"), kinds by their label, times in UK time: no
stored value, enum or clause reaches what staff read. A report opened in the browser is
served with a policy of its own that allows only its own inline style (by hash) and nothing
else: no script, no request, no form.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

from fastapi.responses import Response

from klaremont.detectors.kinds import Kind, Severity
from klaremont.display import uk_datetime
from klaremont.scan import reports, service
from klaremont.scan.actions import ScanAction
from klaremont.scan.models import STATUS_WORDS, ScanRun, ScanStatus
from klaremont.scan.permissions import ScanPermission
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork
    from klaremont.scan.findings import Finding
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff

    Staff = StaffPrincipal | PageStaff | None

FORMS: Final = {
    "json": ("application/json", "json"),
    "sarif": ("application/sarif+json", "sarif"),
    "html": ("text/html; charset=utf-8", "html"),
}
#: findings listed on a run's page (the reports hold them all)
SHOWN: Final = 500
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_SEVERITY_ORDER: Final = list(Severity)


def report_csp(page: str) -> str:
    """A policy for a standalone report page: its own inline styles by hash, nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE.findall(page)
    )
    return (
        f"default-src 'none'; style-src {hashes or chr(39) + 'none' + chr(39)}; "
        "img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def report_response(uow: UnitOfWork, run: ScanRun, form: str) -> Response:
    """The run's report as JSON, SARIF or a standalone HTML page (the read is audited)."""
    media_type, suffix = FORMS[form]
    if form == "json":
        body = service.report_text(uow, run)
    else:
        result = service.report(uow, run)
        body = reports.to_sarif(result) if form == "sarif" else reports.to_html(result)
    uow.audit(
        ScanAction.REPORT_READ,
        resource=f"scan:{run.reference}",
        details={"reference": run.reference, "form": form},
    )
    uow.finish()
    headers = {}
    if form == "html":
        headers["Content-Security-Policy"] = report_csp(body)
    else:
        filename = f"{run.reference.lower()}.{suffix}"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def counted(count: int, kind: Kind) -> str:
    """One count in words: "Card number: 3"."""
    return f"{kind.label}: {count:,}"


def counts_words(counts: dict[Kind, int]) -> str:
    """Every count of a run, in words; "nothing found" when there is none."""
    if not counts:
        return "nothing found"
    return ", ".join(counted(n, k) for k, n in counts.items())


def verdict(run: ScanRun | None) -> str:
    """The latest scan of the platform's own data, in one sentence."""
    if run is None:
        return "Klaremont's own data has not been scanned yet."
    when = uk_datetime(run.finished_at)
    if run.status is ScanStatus.CARD_DATA:
        incident = f" ({run.incident})" if run.incident else ""
        return (
            f"Card data was found in Klaremont's own data by the scan of {when}: "
            f"{counts_words(_card_only(run))}{incident}."
        )
    if run.status is ScanStatus.FINDINGS:
        return (
            f"No card data in Klaremont's own data at the scan of {when}; other findings to review."
        )
    return f"No card data in Klaremont's own data at the scan of {when}."


def _card_only(run: ScanRun) -> dict[Kind, int]:
    return {k: n for k, n in service.counts(run).items() if k.is_card_data}


def run_row(run: ScanRun) -> dict[str, Any]:
    """One run as a row of the list."""
    return {
        "reference": run.reference,
        "label": run.label,
        "finished": uk_datetime(run.finished_at),
        "by": run.actor_name,
        "status": STATUS_WORDS[run.status],
        "flagged": run.status is ScanStatus.CARD_DATA,
        "found": counts_words(service.counts(run)),
        "size": f"{run.bytes / 1e6:,.1f} MB in {run.seconds:,.1f} s",
        "incident": run.incident or "",
    }


def list_view(uow: UnitOfWork) -> dict[str, Any]:
    """The scans page's values."""
    latest = service.latest_self(uow)
    return {
        "verdict": verdict(latest),
        "verdict_bad": latest is None or latest.status is ScanStatus.CARD_DATA,
        "runs": [run_row(r) for r in service.list_runs(uow)],
    }


def _kind_order(value: str) -> int:
    order = [k.value for k in Kind]
    return order.index(value) if value in order else len(order)


def _looked_for(kinds: str) -> str:
    labels = [Kind(k).label for k in sorted(kinds.split(","), key=_kind_order) if k]
    words = ", ".join(label[:1].lower() + label[1:] for label in labels)
    return words[:1].upper() + words[1:]


def finding_row(finding: Finding) -> dict[str, str]:
    """One finding as people read it (masked sample only)."""
    return {
        "what": finding.kind.label,
        "critical": "yes" if finding.severity is Severity.CRITICAL else "",
        "source": finding.source,
        "where": finding.where,
        "sample": finding.sample,
        "accepted": finding.allowed or "",
    }


def run_view(uow: UnitOfWork, reference: str) -> dict[str, Any]:
    """One run's page values (NotFound when there is none)."""
    run = service.get(uow, reference)
    result = service.report(uow, run)
    order = _SEVERITY_ORDER
    findings = sorted(result.findings, key=lambda f: (order.index(f.severity), f.source))
    accepted = service.accepted(run)
    return {
        "run": run_row(run),
        "looked_for": _looked_for(run.kinds),
        "accepted": counts_words(accepted) if accepted else "",
        "started": uk_datetime(run.started_at),
        "problems": result.problems,
        "findings": [finding_row(f) for f in findings[:SHOWN]],
        "total": len(findings),
        "own_data": run.own_data,
    }


def draw(
    template: str,
    staff: Staff,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    **more: Any,
) -> HTMLResponse:
    """Draw one scan page."""
    permissions = frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()
    return render(
        f"staff/{template}",
        status_code=status_code,
        staff=staff,
        view=view,
        error=error,
        notice=notice,
        can_run=ScanPermission.SCANS_RUN.value in permissions,
        **more,
    )
