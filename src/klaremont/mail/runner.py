"""Send every due message: one unit of work per message, so each outcome is committed alone.

This is the job behind ``klaremont mail send-pending`` (and any scheduler): it owns its
transactions, the service it drives does not commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from klaremont.mail.service import deliver, due_ids

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.mail.config import MailSettings
    from klaremont.mail.service import Delivery
    from klaremont.mail.smtp import Transport
    from klaremont.platform import Platform


@dataclass
class SendReport:
    """How one run went: counts by resulting status."""

    due: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def count(self, status: str) -> int:
        """How many messages ended the run in ``status``."""
        return self.outcomes[status]


def send_pending(
    platform: Platform,
    transport: Transport,
    settings: MailSettings,
    *,
    limit: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_each: Callable[[Delivery | None], None] | None = None,
) -> SendReport:
    """Deliver what is due now (at most ``limit`` or the batch size); report the outcomes."""
    with platform.unit_of_work() as uow:
        ids = due_ids(uow.session, uow.clock.now(), limit or settings.batch_size)
    report = SendReport(due=len(ids))
    if on_start is not None:
        on_start(len(ids))
    for message_id in ids:
        with platform.unit_of_work() as uow:
            outcome = deliver(uow, message_id, transport, settings)
        report.outcomes[outcome.status.value if outcome else "skipped"] += 1
        if on_each is not None:
            on_each(outcome)
    return report
