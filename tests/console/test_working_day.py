"""One full working day at the staff console, in headless Chromium on demo data.

Support takes a phone request and looks up a customer for an order; the DPO handles that
access request and an erasure by letter end to end; the ISO offboards a leaver and reads
the audit log; an engineer's remote access is approved by the line manager and by
technical operations. Every step is a real page, form and button: no API call, no
JavaScript, the production second factor, mail through a real SMTP server.
"""

from __future__ import annotations

import re

import pytest
from console_support import Day
from sqlalchemy import func, select

from klaremont.audit.models import AuditEvent

pytestmark = pytest.mark.browser

ACCESS_CUSTOMER = "C0000003"
ORDER_CUSTOMER = "C0000005"
ERASURE_CUSTOMER = "C0000008"
_REFERENCE = re.compile(r"DSR-[A-Z0-9]+")


def _support_logs_a_phone_request(day: Day) -> str:
    """Sam takes a call: the customer wants a copy of their data. Sam logs it; the DPO decides."""
    day.sign_in("sam")
    day.go("Requests")
    day.go("Log a request taken by phone or letter")
    day.page.fill("#customer_reference", ACCESS_CUSTOMER)
    day.page.select_option("#kind", "access")
    day.page.select_option("#channel", "phone")
    day.page.fill("#note", "Called at 09:10, wants a copy of everything we hold")
    day.shot("support-logs-a-phone-request")
    day.press("Log the request")
    said = day.text()
    assert "Not verified" in said
    assert "Verify identity" not in said  # support logs; deciding is the DPO's
    found = _REFERENCE.search(said)
    assert found, said
    day.shot("support-sees-the-logged-request")
    return found.group(0)


def _support_looks_up_an_order(day: Day) -> None:
    """A second caller asks about an order: a purpose first, then the customer, card masked."""
    day.go("Home")
    day.go("Customers")
    day.page.select_option("#purpose", "order_processing")
    day.page.select_option("#by", "reference")
    day.page.fill("#value", ORDER_CUSTOMER)
    day.press("Find")
    said = day.text()
    assert ORDER_CUSTOMER in said
    assert "Dealing with an order" in said
    assert re.search(r"•{4}|\*{4}|ending \d{4}", said) or "No saved cards" in said
    assert not re.search(r"\b\d{13,19}\b", said)  # never a whole card number
    day.shot("support-customer-view-for-an-order")


def _dpo_handles_the_access_request(day: Day, reference: str) -> None:
    """Dana sees the identity check waiting, takes the code the customer reads out, and
    produces the copy; the requester is told by mail."""
    day.sign_in("dana")
    said = day.text()
    assert "Identity checks waiting" in said or "identity" in said.lower()
    day.shot("dpo-home")
    day.go("Requests")
    assert reference in day.text()
    day.shot("dpo-queue")
    day.go(reference)
    day.page.fill("#code", day.last_code_mailed())
    day.press("Verify identity")
    assert "Verified" in day.text()
    day.press("Produce the copy")
    said = day.text()
    assert "Fulfilled" in said
    assert "download JSON" in said
    day.shot("dpo-access-fulfilled")
    sent_before = len(day.inbox.received)
    day.deliver()
    assert len(day.inbox.received) > sent_before  # the requester was told their copy is ready


def _dpo_handles_an_erasure_by_letter(day: Day) -> None:
    """A letter asks for erasure: Dana logs it, checks identity from the documents sent and
    erases; the page says what was deleted and what is kept and why."""
    day.go("Requests")
    day.go("Log a request taken by phone or letter")
    day.page.fill("#customer_reference", ERASURE_CUSTOMER)
    day.page.select_option("#kind", "erasure")
    day.page.select_option("#channel", "letter")
    day.press("Log the request")
    day.page.fill("#reason", "Signed letter with a copy of a utility bill at the address held")
    day.press("Verify from documents")
    day.press("Carry out the erasure")
    said = day.text()
    assert "Erasure carried out." in said
    assert "Deleted:" in said
    assert "Kept:" in said
    day.shot("dpo-erasure-done")


def _iso_offboards_a_leaver(day: Day) -> None:
    """Maya left yesterday: Ivan finds her among the staff and offboards her in one step; the
    page shows everything revoked, and her password no longer opens the console."""
    day.go("Staff")
    assert "maya" in day.text()
    day.shot("iso-staff-list")
    day.go("maya")
    day.page.check("#confirm")
    day.press("Offboard maya")
    said = day.text()
    assert "maya has been offboarded" in said
    assert "revoked" in said
    day.shot("iso-offboarded-a-leaver")
    day.sign_in("maya", expect_refusal=True)
    assert "/staff/login" in day.page.url
    day.sign_in("ivan")


def _iso_reads_the_audit_log(day: Day, reference: str) -> None:
    """Ivan reads who did what today: the DPO's work on the request is there, by name."""
    day.go("Audit log")
    day.page.fill("input[name=actor]", "dana")
    day.press("Show events")
    said = day.text()
    assert "dana" in said
    assert "dsr" in said.lower() or reference in said
    day.shot("iso-audit-log")
    day.page.fill("input[name=actor]", "ivan")
    day.press("Show events")
    assert "staff.offboard" in day.text()


def _remote_access_is_approved_twice(day: Day) -> None:
    """Erin, on call this week, asks for remote access; Ivan approves as her line manager,
    Tara as technical operations; only then is the grant active."""
    day.sign_in("erin")
    day.go("Remote access")
    day.page.fill("#reason", "On call for the warehouse systems this week")
    day.page.fill("#days", "7")
    day.press("Ask for remote access")
    assert "waiting for your line manager" in day.text().lower()
    day.shot("engineer-asks-for-remote-access")
    for approver in ("ivan", "tara"):
        day.sign_in(approver)
        day.go("Remote access")
        day.shot(f"{approver}-approves-remote-access")
        day.press("Approve erin")
        assert "Approve erin" not in day.text()
    day.sign_in("erin")
    day.go("Remote access")
    said = day.text().lower()
    assert "active until" in said
    day.shot("engineer-remote-access-active")


def _audited(day: Day, action: str) -> int:
    with day.platform.unit_of_work() as uow:
        return int(
            uow.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


@pytest.mark.policy(
    "DP-DPO", "DP-PROMPT", "PP-R-ACCESS", "PP-R-ERASE", "IS-SENS-NEED", "IS-AC-LEAVER", "IS-RA-2FA"
)
def test_one_working_day_at_the_console(day: Day) -> None:
    """Support, the DPO, the ISO, a line manager and technical operations each do their part
    of the day through the pages."""
    reference = _support_logs_a_phone_request(day)
    _support_looks_up_an_order(day)
    _dpo_handles_the_access_request(day, reference)
    _dpo_handles_an_erasure_by_letter(day)
    day.sign_in("ivan")
    _iso_offboards_a_leaver(day)
    _iso_reads_the_audit_log(day, reference)
    _remote_access_is_approved_twice(day)
    assert _audited(day, "personal.read") > 0  # the look-ups were audited as in the API
