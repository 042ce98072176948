"""Customer store permissions (accounts, orders, invoices).

Declared in the capability's front door (``permissions``), with the roles that hold them
(``grants``); a permission is named ``resource:action``.
"""

from __future__ import annotations

from enum import StrEnum


class CustomerPermission(StrEnum):
    """Customer store permissions (accounts, orders, invoices)."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_UPDATE = "customers:update"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_ERASE = "customers:erase"
    INVOICES_READ = "invoices:read"
    INVOICES_CREATE = "invoices:create"
    ORDERS_READ = "orders:read"
    ORDERS_UPDATE = "orders:update"
