"""Live checks of the policy-document clauses, over the versions, acknowledgements and the
section register. Without a database each answers "unknown", never "holds"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont import capabilities
from klaremont.display import uk_date
from klaremont.errors import Conflict
from klaremont.policy.live import (
    RECORDS_MAX,
    CheckResult,
    LiveContext,
    inspect_database,
    live_check,
    staff_link,
)
from klaremont.policydocs import library, overdue, ports, service
from klaremont.policydocs.permissions import PolicyDocPermission

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

#: the staff pages behind these checks' answers
POLICIES = staff_link("Policy documents", "policies")
OVERDUE = staff_link("Overdue acknowledgements and reviews", "policies", "overdue")
#: roles that are people's jobs (a maintenance account is for one job and reads nothing)
NOT_READERS = frozenset({"maintenance"})


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _roles_without_read() -> list[str]:
    grants = capabilities.role_grants()
    return sorted(
        role
        for role in {str(r) for r in _all_roles()}
        if role not in NOT_READERS
        and PolicyDocPermission.POLICIES_READ not in grants.get(role, frozenset())
    )


def _all_roles() -> set[str]:
    return {str(role) for role in capabilities.role_grants()}


@live_check(
    "DP-GUIDE",
    reads="each policy document's version in force, its stored text against its hash, and the "
    "roles granted the permission to read the policies",
)
def every_document_readable(ctx: LiveContext) -> CheckResult:
    """Every policy document has a version in force, intact, that every member of staff may
    open in the console."""

    def check(uow: UnitOfWork) -> CheckResult:
        missing: list[str] = []
        broken: list[str] = []
        for key, version in service.current_all(uow).items():
            if version is None:
                missing.append(library.shipped(key).title)
                continue
            try:
                service.version_document(version)
            except Conflict:
                broken.append(f"{version.title} {version.label}")
        if missing:
            return CheckResult(
                holds=False,
                detail=f"no version in force: {_names(missing)}",
                records=(POLICIES,),
            )
        if broken:
            return CheckResult(
                holds=False,
                detail=f"stored text does not match its hash: {_names(broken)}",
                records=(POLICIES,),
            )
        unread = _roles_without_read()
        if unread:
            return CheckResult(
                holds=False, detail=f"roles that cannot open the policies: {_names(unread)}"
            )
        return CheckResult(
            holds=True,
            detail=f"{len(library.DOCUMENT_KEYS)} policy documents in force, readable by every "
            "member of staff in the console",
        )

    return inspect_database(ctx, check, what="policy documents")


@live_check(
    "DP-AWARE",
    reads="the staff directory's active members of staff against their acknowledgements of each"
    " document's version in force",
)
def everyone_acknowledged(ctx: LiveContext) -> CheckResult:
    """Every active member of staff acknowledged the current version of every document
    within the period after it took effect."""

    def check(uow: UnitOfWork) -> CheckResult:
        if not ports.directory_plugged():
            return CheckResult.unknown_because("no staff directory to compare with")
        late = overdue.overdue_acknowledgements(uow)
        if late:
            people = sorted({o.username for o in late})
            return CheckResult(
                holds=False,
                detail=f"{len(people)} member(s) of staff overdue acknowledging a policy "
                f"(more than {overdue.ACK_DAYS} days): {_names(people)}",
                records=tuple(
                    (f"{username}: acknowledgement overdue", OVERDUE[1])
                    for username in people[:RECORDS_MAX]
                ),
            )
        pending = overdue.outstanding(uow)
        return CheckResult(
            holds=True,
            detail=f"nobody overdue acknowledging the policies ({len(pending)} "
            f"acknowledgement(s) still within {overdue.ACK_DAYS} days)",
        )

    return inspect_database(ctx, check, what="policy acknowledgements")


@live_check(
    "DP-REVIEW",
    reads="the policy section register: each section's next-review date against today",
)
def no_review_overdue(ctx: LiveContext) -> CheckResult:
    """No policy section is past its next-review date."""

    def check(uow: UnitOfWork) -> CheckResult:
        register = service.sections(uow)
        if not register:
            return CheckResult(holds=False, detail="no policy sections recorded: nothing published")
        late = overdue.overdue_reviews(uow)
        if late:
            return CheckResult(
                holds=False,
                detail=f"{len(late)} section(s) overdue for review: "
                + _names([f"{s.number} (due {uk_date(s.next_review_on)})" for s in late]),
                records=tuple(
                    (f"Section {s.number} {s.heading}: review overdue", OVERDUE[1])
                    for s in late[:RECORDS_MAX]
                ),
            )
        soonest = min(s.next_review_on for s in register)
        return CheckResult(
            holds=True,
            detail=f"{len(register)} sections reviewed in date; next review due {uk_date(soonest)}",
        )

    return inspect_database(ctx, check, what="policy section reviews")
