"""The customers capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability, NavEntry
from klaremont.customers.actions import CustomerAction
from klaremont.customers.permissions import CustomerPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="customers",
    summary=(
        "The customer data store: people, accounts, addresses, orders, invoices and "
        "contacts; the single customer view."
    ),
    models=(
        "klaremont.db.subjects",
        "klaremont.customers.models",
        "klaremont.customers.categories",
    ),
    routers=("klaremont.customers.web.api:router", "klaremont.customers.web.pages:router"),
    cli="klaremont.customers.cli:app",
    audit_actions=CustomerAction,
    permissions=CustomerPermission,
    grants={
        Role.SUPPORT_AGENT: frozenset(
            {
                CustomerPermission.CUSTOMERS_READ,
                CustomerPermission.CUSTOMERS_UPDATE,
                CustomerPermission.ORDERS_READ,
                CustomerPermission.ORDERS_UPDATE,
            }
        ),
        Role.MARKETING: frozenset({CustomerPermission.CUSTOMERS_READ}),
        Role.FINANCE: frozenset(
            {
                CustomerPermission.CUSTOMERS_READ,
                CustomerPermission.ORDERS_READ,
                CustomerPermission.INVOICES_READ,
                CustomerPermission.INVOICES_CREATE,
            }
        ),
        Role.DPO: frozenset(
            {
                CustomerPermission.CUSTOMERS_READ,
                CustomerPermission.CUSTOMERS_UPDATE,
                CustomerPermission.CUSTOMERS_EXPORT,
                CustomerPermission.CUSTOMERS_ERASE,
            }
        ),
    },
    data=frozenset(
        {
            CustomerPermission.CUSTOMERS_READ,
            CustomerPermission.CUSTOMERS_UPDATE,
            CustomerPermission.CUSTOMERS_EXPORT,
            CustomerPermission.CUSTOMERS_ERASE,
            CustomerPermission.INVOICES_READ,
            CustomerPermission.ORDERS_READ,
        }
    ),
    sensitive=frozenset({CustomerPermission.CUSTOMERS_EXPORT, CustomerPermission.CUSTOMERS_ERASE}),
    checks=("klaremont.customers.checks", "klaremont.customers.read_checks"),
    demo="klaremont.customers.demo_data",
    nav=(NavEntry("Customers", "/staff/customers", CustomerPermission.CUSTOMERS_READ, order=20),),
    extensions=(
        (
            "audit_resource_names",
            "klaremont.customers.audit_names:names",
        ),  # its audit resources in words
        # who a customer is, for incident response (affected customers, breach notices)
        ("customer_lookup", "klaremont.customers.directory:lookup"),
        ("customer_contacts", "klaremont.customers.directory:contacts"),
        ("customer_subjects", "klaremont.customers.directory:subjects"),
        # what of the customer store each retention category is, and how it is dated
        ("retention_targets", "klaremont.customers.retention:targets"),
    ),
)
