"""The floor under the sanitiser's transform stage: the AES-GCM work no transform can leave
out, timed alone in the same run.

Every sealed value of the source is opened once (one AES-GCM decryption) and every sealed
value of the copy is sealed once (a keyed BLAKE2b synthetic nonce, so the same run key gives
the same copy, and one AES-GCM encryption): the platform's format allows no fewer calls,
and the maintained library (``cryptography``) makes them a value at a time. Here they are
timed in a tight loop on values of the sizes the store holds, with nothing else around them,
and scaled by the number of sealed values the source holds: the rows per second the
transform stage could reach on two cores if everything else it does (fakes, blind indexes,
verification digests, batches) took no time at all. Key set-up for each person (an AES-GCM
object per data key) is left out, so the figure is an upper bound.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select

from klaremont.db.engine import make_engine
from klaremont.sanitize.rules import Kind, plan

CALLS: Final = 200_000
CORES: Final = 2
_PLAIN: Final = b"Ada Lovelace-Byron 07700"  # a typical sealed value: 24 bytes
#: associated data of the platform's shape: header, prefix, table, column, row id, subject
_AAD: Final = (
    b"\x01\x00\x00\x00\x01klaremont/v1\x00customers\x00email\x00" + b"a" * 36 + b"\x00" + b"b" * 36
)


def sealed_values(database_url: str) -> tuple[int, int]:
    """(values to open, values to seal): every non-empty sealed value of the kept tables,
    and of those the ones whose column is not emptied in the copy."""
    opens = seals = 0
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            for table in plan().kept():
                if not table.sealed:
                    continue
                columns = list(table.sealed)
                counts = conn.execute(
                    select(*(func.count(table.table.c[c]) for c in columns))
                ).one()
                for column, count in zip(columns, counts, strict=True):
                    opens += int(count)
                    if table.rules[column].kind is not Kind.NULL:
                        seals += int(count)
    finally:
        engine.dispose()
    return opens, seals


def per_call_seconds(calls: int = CALLS) -> tuple[float, float]:
    """(one opening, one sealing with its synthetic nonce), in seconds, best of three."""
    aead = AESGCM(os.urandom(32))
    keyed = hashlib.blake2b(key=os.urandom(32), digest_size=12)
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, _PLAIN, _AAD)
    best_open = best_seal = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for _ in range(calls):
            aead.decrypt(nonce, sealed, _AAD)
        best_open = min(best_open, (time.perf_counter() - began) / calls)
        began = time.perf_counter()
        for _ in range(calls):
            mac = keyed.copy()
            mac.update(_AAD + b"\x00" + _PLAIN)
            aead.encrypt(mac.digest(), _PLAIN, _AAD)
        best_seal = min(best_seal, (time.perf_counter() - began) / calls)
    return best_open, best_seal


def floor(database_url: str, rows: int) -> dict[str, Any]:
    """The counts, the per-call times and the transform's ceiling in rows/s on two cores."""
    opens, seals = sealed_values(database_url)
    open_s, seal_s = per_call_seconds()
    seconds = (opens * open_s + seals * seal_s) / CORES
    return {
        "values_opened": opens,
        "values_sealed": seals,
        "open_us": round(open_s * 1e6, 3),
        "seal_us": round(seal_s * 1e6, 3),
        "crypto_seconds_on_two_cores": round(seconds, 2),
        "transform_ceiling_rows_per_second": round(rows / seconds) if seconds else None,
    }
