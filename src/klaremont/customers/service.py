"""The customer store's service API in one place (the modules beside it hold the rules).

Reads (:mod:`~klaremont.customers.service_read`; the one-account read in
:mod:`~klaremont.customers.account_read`) and the single customer view
(:mod:`~klaremont.customers.view`) take an :class:`~klaremont.customers.access.Access`
naming the purpose; writes (:mod:`~klaremont.customers.service_write`) record provenance
and audit field names. None of them commits: the caller's unit of work does.
"""

from __future__ import annotations

from klaremont.customers.access import Access
from klaremont.customers.account_read import read_customer
from klaremont.customers.service_read import (
    find_customer,
    get_invoice,
    get_order,
    list_customers,
    list_invoices,
    list_orders,
    search_customers,
)
from klaremont.customers.service_write import (
    add_address,
    check_password,
    create_customer,
    record_contact,
    rectify_customer,
    set_password,
)
from klaremont.customers.view import CustomerView, customer_view

__all__ = [
    "Access",
    "CustomerView",
    "add_address",
    "check_password",
    "create_customer",
    "customer_view",
    "find_customer",
    "get_invoice",
    "get_order",
    "list_customers",
    "list_invoices",
    "list_orders",
    "read_customer",
    "record_contact",
    "rectify_customer",
    "search_customers",
    "set_password",
]
