"""A staff member's job title and seniority: who stands in for an incident team's seat.

The policy's incident response team (SP-IRT-MEMBERS) names people by job ("the Senior
Engineer", "the Development Manager", "an account manager") and, when one is away, "the
most senior engineer available". The job role (:class:`~klaremont.staff.permissions.Role`)
says what a person may do; the title says what they are called at work, and the seniority
grade, 1 (most junior) to 10 (most senior), ranks the stand-ins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.errors import ValidationFailed
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.models import JOB_TITLE_MAX, SENIORITY_RANGE
from klaremont.staff.text import plain_text

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount

SENIORITY_RULE = (
    f"must be a whole number from {SENIORITY_RANGE.start} to {SENIORITY_RANGE.stop - 1}"
)


def check_job_title(value: str | None) -> str | None:
    """The title trimmed (``None`` when blank), or :class:`ValidationFailed` naming the rule."""
    if value is None or not value.strip():
        return None
    return plain_text("job_title", value, max_length=JOB_TITLE_MAX)


def check_seniority(value: int | None) -> int | None:
    """The grade, or :class:`ValidationFailed` naming the rule."""
    if value is None:
        return None
    if isinstance(value, bool) or value not in SENIORITY_RANGE:
        raise ValidationFailed.single("seniority", SENIORITY_RULE)
    return value


def set_job(
    uow: UnitOfWork,
    account: StaffAccount,
    *,
    job_title: str | None,
    seniority: int | None,
    by: str,
) -> StaffAccount:
    """Record the title and grade (either may be cleared); audited with both values (a job
    title is no secret: it is how the company names the post)."""
    title = check_job_title(job_title)
    grade = check_seniority(seniority)
    account.job_title = title
    account.seniority = grade
    uow.session.flush()
    audit_staff(
        uow,
        StaffEvent.UPDATED,
        account,
        details={"job_title": title, "seniority": grade, "by": by},
    )
    return account
