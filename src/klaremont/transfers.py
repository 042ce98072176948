"""The transfer guard (DP-TRANSFER): one question every path that sends personal data out asks.

The policy says "no transfer outside the EEA unless the destination ensures adequate
protection"; Klaremont is a UK controller, so it is read as the UK GDPR test (Art. 44-46):
a transfer *outside the UK* needs, on the day it happens, either UK adequacy for the
country (the policy file's ``[transfers]``: the list carried over on 1 January 2021, the
dated decisions made since, and partial adequacy such as the UK Extension to the EU-US
Data Privacy Framework, which covers certified organisations only), or an appropriate
safeguard recorded for that recipient (the IDTA, or the EU SCCs with the UK Addendum)
with its transfer risk assessment.

Recorded safeguards come from the extension point ``transfer_safeguards``: a provider
``(uow, country, recipient) -> Iterable[Safeguard]`` (the processors capability answers
from its register). This module is foundation: it imports no capability.

A refusal rolls back the work, keeps one ``transfer.refused`` audit event (path, country,
recipient, what is missing) and raises :class:`TransferRefused`: problem+json naming the
field and the rule, the country and what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from klaremont import capabilities
from klaremont.audit.events import AuditAction, Outcome
from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.policy.countries import ALPHA2

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import TransferPolicy

POINT = "transfer_safeguards"
HOME = "GB"


class Mechanism(StrEnum):
    """How a transfer outside the UK is made lawful."""

    UK_ADEQUACY = "uk_adequacy"  # the country is adequate (nothing to record but the fact)
    PARTIAL_ADEQUACY = "partial_adequacy"  # the recipient meets a partial adequacy's condition
    IDTA = "idta"  # the ICO's International Data Transfer Agreement
    EU_SCC_ADDENDUM = "eu_scc_addendum"  # the EU SCCs with the UK Addendum


MECHANISM_WORDS = {
    Mechanism.UK_ADEQUACY: "UK adequacy",
    Mechanism.PARTIAL_ADEQUACY: "partial UK adequacy (recipient meets its condition)",
    Mechanism.IDTA: "International Data Transfer Agreement (IDTA)",
    Mechanism.EU_SCC_ADDENDUM: "EU SCCs with the UK Addendum",
}
#: safeguards that need a transfer risk assessment (Art. 46 transfers)
NEEDS_TRA = frozenset({Mechanism.IDTA, Mechanism.EU_SCC_ADDENDUM})


@dataclass(frozen=True, slots=True)
class Safeguard:
    """A safeguard recorded for one recipient in one country."""

    recipient: str
    country: str
    mechanism: Mechanism
    signed_on: date | None = None
    tra_on: date | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer: allowed or not, on what basis, and what is missing."""

    country: str
    allowed: bool
    basis: str
    missing: str = ""


class SafeguardProvider(Protocol):
    """What a capability plugs into ``transfer_safeguards``."""

    def __call__(
        self, uow: UnitOfWork, country: str, recipient: str | None
    ) -> Iterable[Safeguard]: ...


class TransferRefused(ValidationFailed):
    """A transfer the guard refused: names the field, the country and what is missing."""

    code = "transfer-refused"
    title = "Transfer refused"


def adequacy(policy: TransferPolicy, country: str, on: date) -> tuple[str, str]:
    """``("full", basis)``, ``("partial", condition)`` or ``("none", "")`` for ``country``
    on the day ``on``."""
    if country in policy.adequate and on >= policy.adequate_since:
        return "full", f"UK adequacy (in force since {policy.adequate_since.isoformat()})"
    for decision in policy.decisions:
        in_force = decision.since <= on and (decision.until is None or on <= decision.until)
        if decision.country == country and in_force:
            return "full", f"UK adequacy: {decision.basis} (since {decision.since.isoformat()})"
    for entry in policy.conditional:
        in_force = entry.since <= on and (entry.until is None or on <= entry.until)
        if entry.country == country and in_force:
            return "partial", entry.condition
    return "none", ""


def _tra_missing(safeguard: Safeguard) -> bool:
    return safeguard.mechanism in NEEDS_TRA and safeguard.tra_on is None


def assess(
    policy: TransferPolicy, country: str, on: date, safeguards: Iterable[Safeguard]
) -> Verdict:
    """Whether sending personal data to ``country`` on ``on`` is allowed, given the
    safeguards recorded for the recipient (pure: no database)."""
    code = country.strip().upper()
    if code == HOME:
        return Verdict(code, allowed=True, basis="within the UK: not a restricted transfer")
    kind, said = adequacy(policy, code, on)
    if kind == "full":
        return Verdict(code, allowed=True, basis=said)
    found = [s for s in safeguards if s.country == code]
    if kind == "partial":
        for safeguard in found:
            if safeguard.mechanism is Mechanism.PARTIAL_ADEQUACY:
                return Verdict(code, allowed=True, basis=f"partial UK adequacy: {said}")
    for safeguard in found:
        if safeguard.mechanism in NEEDS_TRA and safeguard.tra_on is not None:
            words = MECHANISM_WORDS[safeguard.mechanism]
            return Verdict(
                code,
                allowed=True,
                basis=f"{words} with a transfer risk assessment of {safeguard.tra_on.isoformat()}",
            )
    half = next((s for s in found if _tra_missing(s)), None)
    if half is not None:
        missing = f"a transfer risk assessment for the {MECHANISM_WORDS[half.mechanism]}"
    elif kind == "partial":
        missing = (
            f"UK adequacy for {code} covers only {said}: record that the recipient qualifies, "
            "or an IDTA or the EU SCCs with the UK Addendum with a transfer risk assessment"
        )
    else:
        missing = (
            f"{code} has no UK adequacy: record an IDTA or the EU SCCs with the UK Addendum, "
            "with a transfer risk assessment"
        )
    return Verdict(code, allowed=False, basis="", missing=missing)


def recorded_safeguards(uow: UnitOfWork, country: str, recipient: str | None) -> list[Safeguard]:
    """What the capabilities have recorded for ``recipient`` in ``country``."""
    found: list[Safeguard] = []
    for provider in capabilities.extensions(POINT):
        found.extend(provider(uow, country, recipient))
    return found


def check_country(value: str, field: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case, or a refusal naming ``field``."""
    code = value.strip().upper()
    if code == "UK":
        raise ValidationFailed.single(field, "the United Kingdom is 'GB' (ISO 3166-1 alpha-2)")
    if code not in ALPHA2:
        raise ValidationFailed.single(field, "must be an ISO 3166-1 alpha-2 country code")
    return code


def guard(
    uow: UnitOfWork,
    *,
    country: str,
    recipient: str | None,
    path: str,
    field: str = "country",
    resource: str = "transfer",
) -> Verdict:
    """Ask before sending personal data to ``recipient`` in ``country`` by ``path``
    (``portability``, ``processor_share`` ...). Allowed: the verdict. Refused: the work is
    rolled back, ``transfer.refused`` audited, :class:`TransferRefused` raised."""
    code = check_country(country, field)
    verdict = assess(
        uow.policy.transfers,
        code,
        uow.clock.now().date(),
        recorded_safeguards(uow, code, recipient),
    )
    if verdict.allowed:
        return verdict
    rule = f"transfer to {code} refused (DP-TRANSFER): missing {verdict.missing}"
    details = {"path": path, "country": code, "missing": verdict.missing}
    if recipient:
        details["recipient"] = recipient[:128]
    uow.keep_only_refusal(
        lambda: uow.audit(
            AuditAction.TRANSFER_REFUSED, Outcome.DENIED, resource=resource[:255], details=details
        )
    )
    raise TransferRefused(f"{field}: {rule}", problems=[FieldProblem(field, rule)])
