"""The retention schedule as people read it: one row per category, with where it is
carried out (``klaremont retention show``, the console, the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from klaremont.retention.words import CATEGORY_WORDS, EVENT_WORDS, action_words, period_words
from klaremont.retention_targets import all_targets

if TYPE_CHECKING:
    from klaremont.policy.model import PolicyFile

#: Categories carried out elsewhere, and by what.
ELSEWHERE = {
    "audit_log": "the audit archive (klaremont audit archive, nightly)",
}


@dataclass(frozen=True)
class ScheduleRow:
    """One category's rule."""

    category: str
    what: str
    period: str
    after: str
    action: str
    justification: str
    legal_holds: tuple[str, ...]
    carried_out_by: str

    @property
    def period_words(self) -> str:
        """The period in words."""
        return period_words(self.period)

    @property
    def after_words(self) -> str:
        """The event in words."""
        return EVENT_WORDS.get(self.after, self.after)

    @property
    def action_words(self) -> str:
        """The action in words."""
        return action_words(self.action)


def schedule(policy: PolicyFile) -> list[ScheduleRow]:
    """Every category's rule, in the policy file's order."""
    targets = all_targets()
    rows = []
    for category, rule in policy.retention.items():
        mine = [t.name for t in targets if t.category is category]
        if mine:
            by = "the retention run: " + ", ".join(mine)
        else:
            by = ELSEWHERE.get(category.value, "not yet carried out automatically")
        rows.append(
            ScheduleRow(
                category=category.value,
                what=CATEGORY_WORDS.get(category, category.value),
                period=str(rule.period),
                after=rule.after,
                action=rule.action,
                justification=rule.justification,
                legal_holds=tuple(f"{h.minimum}: {h.basis}" for h in policy.holds_for(category)),
                carried_out_by=by,
            )
        )
    return rows
