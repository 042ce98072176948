"""The customer data store: people, accounts, addresses, orders, invoices, contacts.

:mod:`klaremont.customers.categories` tags every customer-store table with its data
category, which the rights and retention machinery read; the capability's declaration
lists it among its models, so it is loaded with the tables.
"""
