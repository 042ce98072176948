"""Live check of the security measures that keep personal data safe (DP-SECURE).

It holds while (1) production settings raise no problem (a real secret key, PostgreSQL,
the keystore apart from the data store, https only), (2) every data key in the keystore
is wrapped by a key-encryption key the key ring holds, and (3) every value stored in a
sealed (encrypted) column of the data store is a sealed blob -- none was written in the
clear past the sealing layer. Access control and audit have their own clauses' checks.
Without a database it says "unknown".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, or_, select

from klaremont.crypto.aead import FORMAT_V1, MIN_SEALED_BYTES
from klaremont.crypto.fields import SealedMixin
from klaremont.db.base import Base
from klaremont.policy.live import CheckResult, LiveContext, inspect_database, live_check

if TYPE_CHECKING:
    from sqlalchemy import Table

MARK = bytes([FORMAT_V1])


def sealed_columns() -> list[tuple[Table, str]]:
    """Every (table, column) that holds ciphertext, across the mapped models."""
    found: list[tuple[Table, str]] = []
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, SealedMixin):
            continue
        table = cast("Table", mapper.local_table)  # declarative models map one Table each
        found.extend((table, name) for name in sorted(model.__sealed_fields__))
    return sorted(set(found), key=lambda pair: (pair[0].name, pair[1]))


def _in_clear(uow: Any) -> list[str]:
    bad: list[str] = []
    for table, name in sealed_columns():
        column = table.c[name]
        count = uow.session.scalar(
            select(func.count())
            .select_from(table)
            .where(
                column.is_not(None),
                or_(func.length(column) < MIN_SEALED_BYTES, func.substr(column, 1, 1) != MARK),
            )
        )
        if count:
            bad.append(f"{table.name}.{name}: {count} value(s) not sealed")
    return bad


@live_check(
    "DP-SECURE",
    reads="the production settings, every data key against the key ring's key-encryption keys, "
    "and every sealed column for values held in the clear",
)
def personal_data_is_encrypted(ctx: LiveContext) -> CheckResult:
    """Safe production settings; every data key wrapped by a known KEK; no sealed column
    holds a value in the clear."""
    settings = ctx.settings
    problems = settings.production_problems()
    if problems and settings.is_production:
        return CheckResult(holds=False, detail=problems[0])
    where = (
        f"{settings.environment.value}: production settings not required"
        if problems
        else "production settings safe (https, separate keystore)"
    )

    def check(uow: Any) -> CheckResult:
        status = uow.platform.keystore.status()
        if status["unknown_keks"]:
            return CheckResult(
                holds=False,
                detail="data keys wrapped by a key-encryption key the key ring lacks: "
                + ", ".join(status["unknown_keks"]),
            )
        bad = _in_clear(uow)
        if bad:
            return CheckResult(holds=False, detail="; ".join(bad[:5]))
        return CheckResult(
            holds=True,
            detail=f"{where}; {status['live_keys']} data key(s) under {len(status['keks'])} "
            f"key-encryption key(s); {len(sealed_columns())} sealed columns hold only ciphertext",
        )

    return inspect_database(ctx, check, what="keystore and sealed columns")
