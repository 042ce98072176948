"""A small shop database of another system (DEMO ONLY): customers, their addresses,
orders, order lines and loyalty accounts, and the dataset file that declares it.

Used by demo seeding (a SQLite file beside the dataset file), by the tests (PostgreSQL or
SQLite) and by the benchmark. The schema is written with SQLAlchemy so one definition
creates it on each back end; its foreign keys are what the connectors reflect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

METADATA = MetaData()
_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY

CUSTOMERS = Table(
    "customers",
    METADATA,
    Column("id", _ID, primary_key=True),
    Column("email", String(254), unique=True),
    Column("name", String(120)),
    Column("phone", String(40)),
    Column("password_hash", String(200)),
    Column("created_at", DateTime),
)
ADDRESSES = Table(
    "addresses",
    METADATA,
    Column("id", _ID, primary_key=True),
    Column("customer_id", _ID, ForeignKey("customers.id"), nullable=False, index=True),
    Column("line1", String(120)),
    Column("town", String(80)),
    Column("postcode", String(10)),
)
ORDERS = Table(
    "orders",
    METADATA,
    Column("id", _ID, primary_key=True),
    Column("customer_id", _ID, ForeignKey("customers.id"), nullable=False, index=True),
    Column("address_id", _ID, ForeignKey("addresses.id"), nullable=True, index=True),
    Column("placed_at", DateTime),
    Column("shipping_name", String(120)),
    Column("total_pence", Integer),
)
ORDER_LINES = Table(
    "order_lines",
    METADATA,
    Column("id", _ID, primary_key=True),
    Column("order_id", _ID, ForeignKey("orders.id"), nullable=False, index=True),
    Column("sku", String(20)),
    Column("quantity", Integer),
    Column("price_pence", Integer),
)
LOYALTY = Table(
    "loyalty",
    METADATA,
    Column("id", _ID, primary_key=True),
    Column("customer_id", _ID, ForeignKey("customers.id"), nullable=False, index=True),
    Column("points", Integer),
    Column("tier", String(20)),
)

#: The dataset file's tables: everything deleted (the shop keeps nothing once erased).
DELETE_TABLES = """
[tables.customers]
identity = { column = "email", match = "email", casefold = true }
category = "identity"
columns = { email = "contact", phone = "contact", password_hash = "account_password" }
secret = ["password_hash"]

[tables.addresses]
category = "address"

[tables.orders]
category = "orders"

[tables.order_lines]
category = "orders"

[tables.loyalty]
category = "marketing_preferences"
"""
#: The same shop where orders are kept for the accounts: customers and orders masked.
MASK_TABLES = """
[tables.customers]
identity = { column = "email", match = "email", casefold = true }
category = "identity"
columns = { email = "contact", phone = "contact", password_hash = "account_password" }
secret = ["password_hash"]
erasure = "mask"
mask = ["email", "name", "phone", "password_hash"]

[tables.addresses]
category = "address"

[tables.orders]
category = "orders"
erasure = "mask"
mask = { shipping_name = "erased" }

[tables.order_lines]
category = "orders"
erasure = "keep"

[tables.loyalty]
category = "marketing_preferences"
"""


def dataset_text(
    name: str,
    *,
    url_env: str | None = None,
    sqlite_file: str | None = None,
    country: str = "GB",
    mask: bool = False,
) -> str:
    """The TOML declaring the shop (by URL variable, or by SQLite file name)."""
    where = f'url_env = "{url_env}"' if url_env else f'sqlite_file = "{sqlite_file}"'
    head = (
        f'name = "{name}"\n{where}\ncountry = "{country}"\n'
        'description = "the retailer\'s online shop (another system)"\n'
    )
    return head + (MASK_TABLES if mask else DELETE_TABLES)


def create(conn: Connection) -> None:
    """Create the shop's tables."""
    METADATA.create_all(conn)


def add_customer(
    conn: Connection, customer_id: int, email: str, *, orders: int = 2, lines: int = 3
) -> dict[str, int]:
    """One customer with an address, loyalty, ``orders`` orders of ``lines`` lines; counts."""
    from datetime import UTC, datetime  # noqa: PLC0415 - demo helper, kept self-contained

    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC).replace(tzinfo=None)
    conn.execute(
        CUSTOMERS.insert(),
        {
            "id": customer_id,
            "email": email,
            "name": f"Shop Customer {customer_id}",
            "phone": f"0113 496 {customer_id % 10000:04d}",
            "password_hash": "$2b$12$notarealhashnotarealhashnotarealhashnotarealha",
            "created_at": now,
        },
    )
    base = customer_id * 10_000
    conn.execute(
        ADDRESSES.insert(),
        {"id": base, "customer_id": customer_id, "line1": f"{customer_id} Shop Street",
         "town": "Leeds", "postcode": "LS1 1AA"},
    )  # fmt: skip
    conn.execute(
        LOYALTY.insert(), {"id": base, "customer_id": customer_id, "points": 120, "tier": "silver"}
    )
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for n in range(orders):
        order_id = base + n
        order_rows.append(
            {"id": order_id, "customer_id": customer_id, "address_id": base, "placed_at": now,
             "shipping_name": f"Shop Customer {customer_id}", "total_pence": 1999}
        )  # fmt: skip
        line_rows.extend(
            {"id": order_id * 10 + k, "order_id": order_id, "sku": f"SKU{k:03d}",
             "quantity": 1, "price_pence": 666}
            for k in range(lines)
        )  # fmt: skip
    if order_rows:
        conn.execute(ORDERS.insert(), order_rows)
    if line_rows:
        conn.execute(ORDER_LINES.insert(), line_rows)
    return {
        "customers": 1,
        "addresses": 1,
        "loyalty": 1,
        "orders": len(order_rows),
        "order_lines": len(line_rows),
    }
