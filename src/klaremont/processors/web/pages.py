"""The processors console: the register (``/staff/processors``), one processor with the form
to record its contract, DPA, safeguard, TRA and attestation dates
(``/staff/processors/p/{key}``), and the record of processing (``/staff/processors/record``)
with its CSV, JSON and HTML exports. Thin over the services the API and the CLI call."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.policy.categories import labels_of
from klaremont.processors import ropa, service
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.permissions import ProcessorPermission
from klaremont.processors.share import shares
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.transfers import MECHANISM_WORDS, Mechanism
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[
    StaffPrincipal, Depends(require(ProcessorPermission.PROCESSORS_READ, page=True))
]
ManagePage = Annotated[
    StaffPrincipal, Depends(require(ProcessorPermission.PROCESSORS_MANAGE, page=True))
]
DATE_LABELS = {name: words[0].upper() + words[1:] for name, words in service.DATE_WORDS.items()}
LABELS = {**DATE_LABELS, "mechanism": "Transfer mechanism"}
DateField = Annotated[str, Form(max_length=10)]


def _said(exc: KlaremontError) -> str:
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(f"{LABELS.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


def _permissions(staff: Any) -> frozenset[str]:
    return frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()


def _draw(template: str, staff: Any, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    status = kw.pop("status_code", 200)
    return render(
        f"staff/{template}",
        status_code=status,
        staff=staff,
        view=view,
        can_manage=ProcessorPermission.PROCESSORS_MANAGE.value in _permissions(staff),
        mechanisms={m.value: MECHANISM_WORDS[m] for m in Mechanism},
        date_labels=DATE_LABELS,
        **kw,
    )


def _register_row(p: Any, today: date, transfer: str) -> dict[str, Any]:
    if p.dpa_expires_on:
        dpa = p.dpa_expires_on.isoformat()
    else:
        dpa = "signed" if p.dpa_signed_on else "none"
    aoc = ""
    if p.card_data:
        aoc = p.aoc_expires_on.isoformat() if p.aoc_expires_on else "missing"
    return {
        "key": p.key,
        "name": p.name,
        "role": p.role,
        "country": p.country,
        "mechanism": MECHANISM_WORDS[p.mechanism],
        "transfer": transfer,
        "dpa": dpa,
        "aoc": aoc,
        "aoc_late": bool(p.card_data and (p.aoc_expires_on is None or p.aoc_expires_on < today)),
    }


def register_view(uow: Any) -> dict[str, Any]:
    """The register page's values."""
    today = uow.clock.now().date()
    return {
        "rows": [
            _register_row(p, today, ropa.transfer_words(uow, p, p.country))
            for p in service.processors(uow)
        ]
    }


def processor_view(uow: Any, key: str) -> dict[str, Any]:
    """One processor's page values."""
    p = service.find(uow, key)
    facts = [
        ("Name", p.name),
        ("Role", p.role),
        ("Country", p.country),
        ("Host", p.host or ""),
        ("Data categories", labels_of(service.split(p.categories))),
        ("Purposes", ropa.purpose_words(service.split(p.purposes))),
        ("Card data", "yes" if p.card_data else "no"),
        ("Security measures", p.security),
        ("Transfer mechanism", MECHANISM_WORDS[p.mechanism]),
        ("Transfer guard", ropa.transfer_words(uow, p, p.country)),
    ]
    dates = [(DATE_LABELS[n], getattr(p, n)) for n in service.DATE_FIELDS]
    recent = [
        {
            "at": s.shared_at.strftime("%Y-%m-%d %H:%M"),
            "categories": labels_of(service.split(s.categories)),
            "card": "yes" if s.card_data else "no",
            "reason": s.reason,
            "basis": s.basis,
            "delete_by": s.delete_by.isoformat() if s.delete_by else "",
        }
        for s in shares(uow, p)
    ]
    values = {n: (getattr(p, n).isoformat() if getattr(p, n) else "") for n in service.DATE_FIELDS}
    return {
        "key": p.key,
        "name": p.name,
        "facts": facts,
        "dates": [(w, d.isoformat() if d else "not recorded") for w, d in dates],
        "typed_dates": values,
        "mechanism": p.mechanism.value,
        "shares": recent,
    }


@router.get("/processors")
def processors_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The register."""
    return _draw("processors.html", staff, register_view(uow))


@router.get("/processors/record")
def record_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The record of processing (Art. 30)."""
    made = ropa.record(uow)
    return _draw("processors_record.html", staff, {"header": ropa.HEADER, "rows": made.table()})


def _export(uow: Any, form: str) -> Response:
    made = ropa.record(uow)
    uow.audit(ProcessorAction.RECORD_EXPORTED, resource="processors:ropa", details={"form": form})
    finish(uow)
    if form == "csv":
        body, kind = ropa.to_csv(made), "text/csv; charset=utf-8"
    elif form == "json":
        body, kind = ropa.to_json(made), "application/json"
    else:
        return HTMLResponse(ropa.to_html(made))
    disposition = f'attachment; filename="record-of-processing.{form}"'
    return Response(body, media_type=kind, headers={"Content-Disposition": disposition})


@router.get("/processors/record.csv")
def record_csv(_: ReadPage, uow: UowDep) -> Response:
    """The record as CSV."""
    return _export(uow, "csv")


@router.get("/processors/record.json")
def record_json(_: ReadPage, uow: UowDep) -> Response:
    """The record as JSON."""
    return _export(uow, "json")


@router.get("/processors/record.html")
def record_html(_: ReadPage, uow: UowDep) -> Response:
    """The record as one standalone HTML page, to print or file."""
    return _export(uow, "html")


def _processor_page(staff: Any, key: str, view: Any, **kw: Any) -> HTMLResponse:
    return _draw("processor.html", staff, view, key=key, **kw)


def _again(retry: FormRetry) -> HTMLResponse:
    key = str(retry.request.path_params.get("key", ""))
    try:
        view = retry.read(lambda uow: processor_view(uow, key))
    except KlaremontError:
        view = None
    return _processor_page(retry.staff, key, view, error="; ".join(retry.errors), status_code=422)


@router.get("/processors/p/{key}")
def processor_page(key: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One processor: its facts, dates and shares."""
    notice = "Dates recorded." if done == "dates" else None
    return _processor_page(staff, key, processor_view(uow, key), notice=notice)


def _day(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.single(field, "must be a date such as 2026-03-02") from None


@router.post("/processors/p/{key}/dates")
@form_page(_again, LABELS)
def processor_dates(
    key: str,
    staff: ManagePage,
    uow: UowDep,
    mechanism: Annotated[str, Form(min_length=1, max_length=20)],
    contract_signed_on: DateField = "",
    contract_expires_on: DateField = "",
    dpa_signed_on: DateField = "",
    dpa_expires_on: DateField = "",
    safeguard_signed_on: DateField = "",
    tra_on: DateField = "",
    aoc_on: DateField = "",
    aoc_expires_on: DateField = "",
) -> Response:
    """Record the dates (a field left empty clears it) and the mechanism."""
    typed = {
        "contract_signed_on": contract_signed_on,
        "contract_expires_on": contract_expires_on,
        "dpa_signed_on": dpa_signed_on,
        "dpa_expires_on": dpa_expires_on,
        "safeguard_signed_on": safeguard_signed_on,
        "tra_on": tra_on,
        "aoc_on": aoc_on,
        "aoc_expires_on": aoc_expires_on,
    }
    try:
        if mechanism not in {m.value for m in Mechanism}:
            words = ", ".join(MECHANISM_WORDS.values())
            raise ValidationFailed.single("mechanism", f"one of {words}")
        dates = {name: _day(value, name) for name, value in typed.items()}
        service.record_dates(uow, key, dates, mechanism=Mechanism(mechanism))
    except NotFound:
        raise
    except KlaremontError as exc:
        uow.session.rollback()
        try:
            view: dict[str, Any] | None = processor_view(uow, key)
        except KlaremontError:
            view = None
        finish(uow)
        return _processor_page(staff, key, view, error=_said(exc), status_code=exc.status)
    finish(uow)
    return RedirectResponse(
        f"/staff/processors/p/{quote(key, safe='')}?done=dates", status_code=303
    )
