"""Demo external store (DEMO ONLY): a small SQLite shop database beside its dataset file in
the var directory's ``datasets`` folder, holding shop records of the first demo customers
(matched on their e-mail addresses), so access and erasure requests reach it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont import capabilities
from klaremont.connectors import demo_shop
from klaremont.connectors.settings import DatasetSettings
from klaremont.db.engine import make_engine

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 70  # after the customers (20)
SHOP_FILE = "shop-demo.db"
DATASET_FILE = "shop.toml"
CUSTOMERS = 5


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Create the demo shop and declare it, unless a declaration is already there."""
    del rng
    root = DatasetSettings().path(uow.platform.settings)
    if root.suffix == ".toml" or (root / DATASET_FILE).exists():
        return ["external stores: declared already, demo shop not added"]
    root.mkdir(parents=True, exist_ok=True)
    (root / SHOP_FILE).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{root / SHOP_FILE}")
    added = 0
    try:
        with engine.begin() as conn:
            demo_shop.create(conn)
            for n in range(1, min(CUSTOMERS, size.customers) + 1):
                email = f"customer{n}@example.com"
                found = [
                    ref for point in capabilities.extensions("customer_lookup")
                    for ref in point(uow, email)
                ]  # fmt: skip
                if found:
                    demo_shop.add_customer(conn, n, email, orders=n % 3 + 1)
                    added += 1
    finally:
        engine.dispose()
    (root / DATASET_FILE).write_text(
        demo_shop.dataset_text("shop", sqlite_file=SHOP_FILE, mask=True), encoding="utf-8"
    )
    return [f"demo external shop database with {added} customers ({root / DATASET_FILE})"]
