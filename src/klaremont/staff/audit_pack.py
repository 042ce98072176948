"""The staff capability's part of the evidence pack (extension point ``evidence_files``):
the access review report as HTML and CSV, its export audited like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.staff import service_review as review

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    """``access-review.html`` and ``access-review.csv``."""
    report = review.build_report(uow)
    review.record_export(uow, report, "evidence pack")
    return [
        ("access-review.html", review.to_html(report).encode("utf-8")),
        ("access-review.csv", review.to_csv(report).encode("utf-8")),
    ]
