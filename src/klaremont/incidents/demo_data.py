"""Demo incidents (DEMO ONLY), made through the services so every log entry is chained.

Four cases, reported by demo staff: a phishing e-mail dismissed after the ISO's look; a lost
laptop (encrypted) handled to the end, each member's written report in; a suspected
compromise of the reporting server with its team at work, a firewall log excerpt taken in
as evidence, two customers listed as affected with their data under a legal hold, and its
ICO deadline running; and a spreadsheet that may
hold card numbers, waiting for the ISO. The team seats use a directory of demo job titles
(the staff records carry no job title yet). Everything happens at the seeding clock's
"now", so every clock starts then.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.errors import KlaremontError
from klaremont.incidents import (
    affected,
    appoint,
    casework,
    evidence,
    notify,
    reports,
    service,
    workflow,
)
from klaremont.incidents.ports import StaticDirectory
from klaremont.incidents.service import NewReport
from klaremont.incidents.states import (
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
    Decision,
    IncidentKind,
    IncidentState,
    Involvement,
    Recipient,
)
from klaremont.incidents.team import Seat, StaffMember
from klaremont.incidents.visibility import Viewer
from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.incidents.models import Incident
    from klaremont.platform import UnitOfWork

ORDER = 60  # after the staff (10)
DEMO_DIRECTORY = StaticDirectory(
    [
        StaffMember("ivan", "Ivan Osei", frozenset({"iso"}), "Information Security Officer", 4),
        StaffMember(
            "tara", "Tara Tolley", frozenset({"technical_operations"}), "Senior Engineer", 3
        ),
        StaffMember("erin", "Erin Ellery", frozenset({"engineer"}), "Software Developer", 2),
        StaffMember("derek", "Derek Dunmore", frozenset({"director"}), "Managing Director", 5),
        StaffMember(
            "sam", "Sam Sutter", frozenset({"support_agent"}), "Customer Account Manager", 2
        ),
    ]
)
TEAM = {
    Seat.ISO: "ivan",
    Seat.SENIOR_ENGINEER: "tara",
    Seat.DEVELOPMENT_MANAGER: "erin",
    Seat.DIRECTOR: "derek",
    Seat.ACCOUNT_MANAGER: "sam",
}
ISO = Viewer("ivan", frozenset({"incidents:report", "incidents:read", "incidents:manage"}))


def _as(uow: UnitOfWork, username: str) -> None:
    account_id = uow.session.scalar(
        select(StaffAccount.id).where(StaffAccount.username == username)
    )
    uow.actor = Actor(ActorType.STAFF, str(account_id), username)


def _report(uow: UnitOfWork, who: str, new: NewReport) -> Incident:
    _as(uow, who)
    return service.report(uow, new)


STOLEN = {
    ChecklistItem.NO_ACCESS: "The laptop was stolen: nobody here can reach it.",
    ChecklistItem.KEEP_RUNNING_ISOLATE: "Stolen: its accounts and certificate revoked instead.",
}


def _answer_all(
    uow: UnitOfWork, incident: Incident, who: str, notes: dict[ChecklistItem, str] | None = None
) -> None:
    _as(uow, who)
    for item in ChecklistItem:
        note = (STOLEN if notes is None else notes).get(item)
        answer = ChecklistAnswer.NOT_APPLICABLE if note else ChecklistAnswer.DONE
        casework.answer_step(uow, ISO, incident, item, answer, note)


def _phishing(uow: UnitOfWork) -> None:
    incident = _report(
        uow,
        "maya",
        NewReport(
            IncidentKind.OTHER,
            "An e-mail claiming to be from our payment provider asked me to confirm our "
            "merchant log-in. I did not click the link and forwarded it to the ISO.",
            Involvement.NO,
            Involvement.NO,
            systems="Marketing mailbox",
        ),
    )
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
    casework.log_action(
        uow,
        ISO,
        incident,
        ActionKind.INVESTIGATION,
        "Mail gateway shows the message reached one mailbox; no click recorded.",
    )
    workflow.move(
        uow,
        ISO,
        incident,
        IncidentState.DISMISSED,
        "Phishing attempt blocked: nothing opened, no data reached anyone.",
    )


def _laptop(uow: UnitOfWork) -> None:
    incident = _report(
        uow,
        "felix",
        NewReport(
            IncidentKind.LOSS_OR_THEFT,
            "My work laptop was stolen from a car this morning. It holds the finance team's "
            "supplier spreadsheets and some invoice exports.",
            Involvement.YES,
            Involvement.NO,
            systems="Finance laptop FIN-07 (full-disk encryption)",
        ),
    )
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
    appoint.activate(uow, ISO, incident, TEAM, DEMO_DIRECTORY)
    casework.log_action(
        uow,
        ISO,
        incident,
        ActionKind.CONTAINMENT,
        "Laptop's accounts disabled and its device certificate revoked.",
    )
    _answer_all(uow, incident, "tara")
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.CONTAINED)
    casework.log_action(
        uow,
        ISO,
        incident,
        ActionKind.INVESTIGATION,
        "Encryption confirmed from the device management report; key not stored on the laptop.",
    )
    workflow.move(uow, ISO, incident, IncidentState.RECOVERED)
    for recipient, reasoning in (
        (
            Recipient.ICO,
            (
                "Data unintelligible to the thief: full-disk encryption, keys not compromised; "
                "unlikely to result in a risk."
            ),
        ),
        (
            Recipient.CUSTOMERS,
            "Data unintelligible (encrypted, keys not compromised): Art. 34(3)(a).",
        ),
        (Recipient.PAYMENT_PROVIDER, "No card data on the laptop."),
    ):
        notify.decide(
            uow,
            ISO,
            incident,
            notify.NotificationDecision(recipient, Decision.NOT_REQUIRED, reasoning=reasoning),
        )
    notify.decide(
        uow,
        ISO,
        incident,
        notify.NotificationDecision(Recipient.POLICE, Decision.SENT, their_reference="CRN 4471/26"),
    )
    casework.record_lessons(
        uow,
        ISO,
        incident,
        "Laptops are not to be left in vehicles; reminder added to the induction checklist.",
    )
    _member_reports(uow, incident)
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.CLOSED)


LAPTOP_REPORTS = {
    "ivan": "Felix reported the theft within the hour. I confirmed the disk encryption from the "
    "device management report, had the laptop's accounts and certificate revoked, and "
    "decided with the team that neither the ICO nor the customers needed telling.",
    "tara": "Revoked the device certificate and disabled the laptop's directory account at "
    "10:40. Checked the VPN logs: no connection from the laptop after the theft.",
    "erin": "Checked that no application secrets or API keys were stored on the laptop; none "
    "were. The supplier spreadsheets hold business contacts only.",
    "derek": "Agreed the decisions on notification and the reminder about vehicles. No "
    "further action needed from the board.",
    "sam": "No customer contacted us about the laptop; no customer account is linked to the "
    "exports it held beyond invoice totals.",
}


def _member_reports(
    uow: UnitOfWork, incident: Incident, texts: dict[str, str] = LAPTOP_REPORTS
) -> None:
    for username, text in texts.items():
        _as(uow, username)
        member = Viewer(username, frozenset({"incidents:report"}))
        reports.submit(uow, member, incident, text)


def _evidence(uow: UnitOfWork, incident: Incident) -> None:
    _as(uow, "tara")
    lines = [
        f"2026-12-0{day} 0{hour}:1{minute}:07 DENY OUT 10.20.4.17 -> 203.0.113.{40 + minute} "
        f"tcp/443 bytes={1_800_000 + day * 1000 + minute}"
        for day in (4, 5)
        for hour in (1, 2, 3)
        for minute in range(4)
    ]
    excerpt = io.BytesIO(("\n".join(lines) + "\n").encode())
    evidence.add(
        uow,
        ISO,
        incident,
        excerpt,
        "firewall-egress-excerpt.log",
        "Night-time connections from the reporting server, copied before the logs rotate.",
    )


def _compromise(uow: UnitOfWork) -> None:
    incident = _report(
        uow,
        "tara",
        NewReport(
            IncidentKind.SYSTEM_COMPROMISE,
            "The reporting server is sending large amounts of data to an address abroad at night. "
            "Nobody here scheduled it.",
            Involvement.YES,
            Involvement.UNSURE,
            systems="Reporting server (reads the order database)",
        ),
    )
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
    appoint.activate(uow, ISO, incident, TEAM, DEMO_DIRECTORY)
    _as(uow, "tara")
    casework.log_action(
        uow,
        ISO,
        incident,
        ActionKind.CONTAINMENT,
        "Reporting server isolated: switch port disabled, machine left running.",
    )
    casework.answer_step(
        uow, ISO, incident, ChecklistItem.KEEP_RUNNING_ISOLATE, ChecklistAnswer.DONE, None
    )
    casework.answer_step(
        uow,
        ISO,
        incident,
        ChecklistItem.PRESERVE_LOGS,
        ChecklistAnswer.DONE,
        "Firewall and web logs copied to the evidence share.",
    )
    _evidence(uow, incident)
    _as(uow, "ivan")
    casework.assess(
        uow,
        ISO,
        incident,
        casework.Assessment(
            "Customers",
            1200,
            "Order history, delivery addresses",
            4800,
            "Possible phishing aimed at customers.",
        ),
    )
    _held(uow, incident)


#: The demo customers whose orders the compromised server held (customers' demo data).
AFFECTED = "C0000001, C0000002"


def _held(uow: UnitOfWork, incident: Incident) -> None:
    """Two demo customers listed as affected, their data under the legal hold (phase 2b)."""
    try:
        affected.add(uow, ISO, incident, AFFECTED, "Their orders are in what the server sent.")
    except KlaremontError:
        return  # no demo customers (a store seeded without them)
    affected.place_hold(
        uow,
        ISO,
        incident,
        "The ICO may investigate and customers may claim: keep their records as they are.",
    )


def _spreadsheet(uow: UnitOfWork) -> None:
    _report(
        uow,
        "felix",
        NewReport(
            IncidentKind.CARD_DATA_EXPOSED,
            "A spreadsheet in the shared finance drive seems to have a column of full card "
            "numbers from last year's refunds.",
            Involvement.YES,
            Involvement.YES,
            systems="Shared finance drive",
        ),
    )


EXERCISE_REPORTS = {
    "ivan": "Ran the exercise from the reported compromise to close in two hours. The team "
    "was reachable within fifteen minutes; the ICO draft took longest to assemble.",
    "tara": "Walked through isolating the web server without switching it off and copying "
    "its logs; the switch-port runbook was out of date and is now corrected.",
    "erin": "Checked which application secrets the scenario would expose and how they are "
    "rotated; the rotation steps worked as written.",
    "derek": "Took the director's seat: agreed the notification decisions and the "
    "escalation path when a deadline is missed.",
    "sam": "Drafted the customer notice from the template and the call-centre script for "
    "customers who phone in.",
}


def _exercise(uow: UnitOfWork) -> None:
    """The yearly test of the response plan, run end to end (PCI DSS 12.10.2)."""
    _as(uow, "ivan")
    incident = service.report(
        uow,
        NewReport(
            IncidentKind.SYSTEM_COMPROMISE,
            "Exercise scenario: the web server shows an unknown process sending order data "
            "to an outside address. No real system is affected.",
            Involvement.YES,
            Involvement.UNSURE,
            systems="Web server (exercise scenario)",
            exercise=True,
        ),
        ISO,
    )
    workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
    appoint.activate(uow, ISO, incident, TEAM, DEMO_DIRECTORY)
    casework.log_action(
        uow, ISO, incident, ActionKind.CONTAINMENT, "Exercise: web server isolated, left running."
    )
    _answer_all(uow, incident, "tara", notes={})
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.CONTAINED)
    workflow.move(uow, ISO, incident, IncidentState.RECOVERED)
    for recipient in Recipient:
        notify.decide(
            uow,
            ISO,
            incident,
            notify.NotificationDecision(
                recipient, Decision.NOT_REQUIRED, reasoning="Exercise: no real breach."
            ),
        )
    casework.record_lessons(
        uow, ISO, incident, "The switch-port runbook was out of date; corrected during the test."
    )
    _member_reports(uow, incident, EXERCISE_REPORTS)
    _as(uow, "ivan")
    workflow.move(uow, ISO, incident, IncidentState.CLOSED)


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Make the exercise and the four demo incidents; return a summary line."""
    del rng, size  # the same incidents whatever the size
    actor = uow.actor
    for make in (_phishing, _laptop, _compromise, _spreadsheet, _exercise):
        make(uow)
    uow.actor = actor
    uow.session.flush()
    line = (
        "incidents: 4 demo incidents (dismissed, closed, team at work, waiting for the ISO) "
        "and a closed test of the response plan"
    )
    return [line]
