"""The customer data store: people, accounts, addresses, orders, invoices, cards, contacts.

Importing the package tags every customer-store table with its data category
(:mod:`klaremont.customers.categories`), which the rights and retention machinery read.
"""

from __future__ import annotations

from klaremont.customers import categories as _categories  # noqa: F401 - tags the tables
