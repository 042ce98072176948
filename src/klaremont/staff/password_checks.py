"""Live checks of the password clauses over the stored hashes (IS-PW-HASH, -UNIQUE, -STRONG).

- IS-PW-HASH: every stored password (accounts and history) is an Argon2id hash, and every
  active account's hash uses the policy's current parameters (an older one is re-hashed at
  its owner's next sign-in; until then it is named here).
- IS-PW-UNIQUE: no two accounts hold the same hash or salt (a copied credential: Argon2
  salts are random, so equal hashes mean one password hash was handed to another);
  usernames are unique by the table's constraints.
- IS-PW-STRONG: the policy asks at least PCI DSS 8.3.6/8.3.7 (12 characters, four previous
  passwords refused), the running strength rules refuse a listed common password, and every
  account that changed its password kept the previous one in its history.

Without a database each says "unknown": the stored passwords were not looked at.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError
from sqlalchemy import func, select

from klaremont.policy.live import CheckResult, LiveContext, inspect_database, live_check
from klaremont.staff.blocklist import common_passwords, is_common
from klaremont.staff.hashing import UNSET, UNUSABLE
from klaremont.staff.models import AccountStatus, PasswordHistory, StaffAccount

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

WHAT = "stored passwords"
MARKERS = frozenset({UNSET, UNUSABLE})
#: PCI DSS v4.0 8.3.6 (at least 12 characters) and 8.3.7 (not one of the last four)
PCI_MIN_LENGTH = 12
PCI_MIN_HISTORY = 4
MIN_ZXCVBN_SCORE = 3
#: a password on the shipped list, as people write it; the running rules must refuse it
LISTED_CANARY = "Password2026!"
#: creating an account stores its first password a moment after the row: not a change
FIRST_PASSWORD_SLACK = timedelta(minutes=1)


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return inspect_database(ctx, check, what=WHAT)


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _argon2id(stored: str) -> tuple[int, int, int] | None:
    """(memory KiB, time cost, parallelism) of an Argon2id hash; None for anything else."""
    try:
        found = extract_parameters(stored)
    except (InvalidHashError, ValueError, IndexError):
        return None
    if found.type is not Type.ID:
        return None
    return (found.memory_cost, found.time_cost, found.parallelism)


@live_check(
    "IS-PW-HASH",
    reads="every stored staff password and password history entry for Argon2id, and active "
    "accounts' hash settings against the policy's",
)
def every_password_is_current_argon2id(ctx: LiveContext) -> CheckResult:
    """Every stored password is Argon2id; every active account's uses today's parameters."""
    params = ctx.policy.passwords.hash
    current = (params.memory_kib, params.time_cost, params.parallelism)

    def check(uow: UnitOfWork) -> CheckResult:
        accounts = uow.session.execute(
            select(StaffAccount.username, StaffAccount.password_hash, StaffAccount.status)
        ).all()
        not_argon: list[str] = []
        stale: list[str] = []
        hashed = 0
        for username, stored, status in accounts:
            if stored in MARKERS:
                continue
            hashed += 1
            found = _argon2id(stored)
            if found is None:
                not_argon.append(username)
            elif found != current and status == AccountStatus.ACTIVE.value:
                stale.append(username)
        history = [
            stored
            for stored in uow.session.scalars(select(PasswordHistory.password_hash))
            if _argon2id(stored) is None
        ]
        if not_argon or history:
            return CheckResult(
                holds=False,
                detail=f"not an Argon2id hash: {_names(not_argon)}"
                if not_argon
                else f"{len(history)} previous password(s) in the history not Argon2id hashes",
            )
        wanted = f"argon2id m={current[0]} KiB t={current[1]} p={current[2]}"
        if stale:
            return CheckResult(
                holds=False,
                detail=f"hashed with other parameters than {wanted} (re-hashed at their next "
                f"sign-in): {_names(stale)}",
            )
        return CheckResult(holds=True, detail=f"{hashed} stored password(s), all {wanted}")

    return _run(ctx, check)


def _salt(stored: str) -> str | None:
    parts = stored.split("$")
    return parts[4] if len(parts) > 5 and stored.startswith("$argon2") else None  # noqa: PLR2004 - PHC fields


@live_check(
    "IS-PW-UNIQUE",
    reads="every staff account's stored password hash and its salt, against every other account's",
)
def every_account_has_its_own_password(ctx: LiveContext) -> CheckResult:
    """No two accounts hold the same hash or salt (usernames are unique by the table's own
    constraints: a unique key that must be the lower-cased name)."""

    def check(uow: UnitOfWork) -> CheckResult:
        rows = uow.session.execute(select(StaffAccount.username, StaffAccount.password_hash)).all()
        by_secret: dict[str, set[str]] = defaultdict(set)
        for username, stored in rows:
            if stored in MARKERS:
                continue
            by_secret[stored].add(username)
            salt = _salt(stored)
            if salt is not None:
                by_secret[salt].add(username)
        shared = sorted({" and ".join(sorted(n)) for n in by_secret.values() if len(n) > 1})
        if shared:
            return CheckResult(
                holds=False,
                detail=f"accounts holding a copied password hash: {_names(shared)}",
            )
        return CheckResult(
            holds=True,
            detail=f"{len(rows)} account(s), each with its own username and its own password hash",
        )

    return _run(ctx, check)


def _policy_problems(ctx: LiveContext) -> list[str]:
    rules = ctx.policy.passwords
    problems: list[str] = []
    if rules.min_length < PCI_MIN_LENGTH:
        problems.append(f"minimum length {rules.min_length} (PCI DSS 8.3.6 asks {PCI_MIN_LENGTH})")
    if rules.min_zxcvbn_score < MIN_ZXCVBN_SCORE:
        problems.append(f"strength score {rules.min_zxcvbn_score} of 4 (at least 3)")
    if rules.history_depth < PCI_MIN_HISTORY:
        problems.append(
            f"only {rules.history_depth} previous passwords refused "
            f"(PCI DSS 8.3.7 asks {PCI_MIN_HISTORY})"
        )
    return problems


@live_check(
    "IS-PW-STRONG",
    reads="the password policy's rules, the common-password list, and staff accounts whose "
    "password changed against the previous passwords kept",
)
def passwords_are_strong_and_new(ctx: LiveContext) -> CheckResult:
    """The rules are strict enough and running, and every change kept the previous password."""
    problems = _policy_problems(ctx)
    if problems:
        return CheckResult(holds=False, detail="the password policy allows " + "; ".join(problems))
    if not is_common(LISTED_CANARY):
        return CheckResult(
            holds=False, detail="the common-password list does not refuse a listed password"
        )
    rules = ctx.policy.passwords
    said = (
        f"{rules.min_length}+ characters, strength {rules.min_zxcvbn_score} of 4, "
        f"{len(common_passwords())} common passwords refused, last {rules.history_depth} refused"
    )

    def check(uow: UnitOfWork) -> CheckResult:
        kept = (
            select(PasswordHistory.account_id, func.count().label("n"))
            .group_by(PasswordHistory.account_id)
            .subquery()
        )
        rows = uow.session.execute(
            select(
                StaffAccount.username,
                StaffAccount.created_at,
                StaffAccount.password_changed_at,
                kept.c.n,
            )
            .outerjoin(kept, kept.c.account_id == StaffAccount.id)
            .where(StaffAccount.status != AccountStatus.OFFBOARDED.value)
        ).all()
        lost = [
            username
            for username, created, changed, n in rows
            if changed - created > FIRST_PASSWORD_SLACK and not n
        ]
        if lost:
            return CheckResult(
                holds=False,
                detail=f"password changed but no previous one kept to refuse: {_names(lost)}",
            )
        return CheckResult(holds=True, detail=f"{said}; every changed password's predecessor kept")

    return _run(ctx, check)
