"""Customer store API: accounts, rectification, search, the single view, orders, invoices.

Every route names its permission with ``require_in_unit(Permission.X)`` (checked in the
route's unit of work, with the service call) and every read names its purpose
(``?purpose=``, required): the staff member's roles must allow both the purpose and the
categories shown (:mod:`klaremont.purposes.decide`). Searches by e-mail or phone are
POSTed, so the address or number never sits in a URL or an access log. The card-data
guard runs before every route here (and, installed as middleware, before every route).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from klaremont.customers import service
from klaremont.customers.access import Access
from klaremont.customers.permissions import CustomerPermission
from klaremont.customers.schemas import (
    AddressIn,
    AddressOut,
    ContactIn,
    ContactOut,
    CustomerCreate,
    CustomerCreated,
    CustomerOut,
    CustomerPage,
    CustomerSummary,
    CustomerUpdate,
    InvoiceOut,
    OrderOut,
    SearchIn,
)
from klaremont.customers.service_read import PAGE_MAX
from klaremont.customers.view import CustomerView
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Permission
from klaremont.staff.web.guard import Caller, require_in_unit
from klaremont.web.card_guard import card_data_guard
from klaremont.web.deps import UowDep, committed

router = APIRouter(tags=["customers"], dependencies=[Depends(card_data_guard)])
P = Permission

# The access checks run in each route's unit of work, with its service call (one thread-pool
# job per request; see klaremont.staff.web.guard.RequireInUnit).
Reader = Annotated[Caller, Depends(require_in_unit(CustomerPermission.CUSTOMERS_READ))]
Updater = Annotated[Caller, Depends(require_in_unit(CustomerPermission.CUSTOMERS_UPDATE))]
OrderReader = Annotated[Caller, Depends(require_in_unit(CustomerPermission.ORDERS_READ))]
InvoiceReader = Annotated[Caller, Depends(require_in_unit(CustomerPermission.INVOICES_READ))]
PurposeQuery = Annotated[
    Purpose,
    Query(description="why the data is processed; must be allowed for your roles (DP-PURPOSE)"),
]
# A cursor is a customer reference (a letter, then letters or digits): never a digit run a
# card-data guard would take for a card number.
CURSOR = r"^[A-Za-z][A-Za-z0-9]{0,15}$"
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "permission or purpose refused (audited)"}
}


def access(staff: Caller, purpose: Purpose) -> Access:
    """The purpose and the staff member's roles, for the services (call it inside the work
    given to ``committed``, after the access check)."""
    return Access(purpose, staff.roles)


@router.post(
    "/api/customers",
    response_model=CustomerCreated,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
    dependencies=[Depends(require_in_unit(CustomerPermission.CUSTOMERS_UPDATE))],
)
async def create_customer(body: CustomerCreate, uow: UowDep) -> CustomerCreated:
    """Create a customer account, recording channel, time and lawful basis."""
    return await committed(uow, lambda: service.create_customer(uow, body))


@router.get("/api/customers", response_model=CustomerPage, responses=REFUSED)
async def list_customers(
    purpose: PurposeQuery,
    staff: Reader,
    uow: UowDep,
    cursor: Annotated[str | None, Query(max_length=16, pattern=CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> CustomerPage:
    """A page of accounts by reference; restricted people show no name."""
    return await committed(
        uow,
        lambda: service.list_customers(uow, access(staff, purpose), cursor=cursor, limit=limit),
        read=True,
    )


@router.post("/api/customers/search", response_model=list[CustomerSummary], responses=REFUSED)
async def search_customers(
    body: SearchIn, purpose: PurposeQuery, staff: Reader, uow: UowDep
) -> list[CustomerSummary]:
    """Accounts with this e-mail, or phone or mobile number (blind index)."""
    return await committed(
        uow,
        lambda: service.search_customers(
            uow, access(staff, purpose), email=body.email, phone=body.phone
        ),
    )


@router.get("/api/customers/{customer}", response_model=CustomerOut, responses=REFUSED)
async def read_customer(
    customer: str, purpose: PurposeQuery, staff: Reader, uow: UowDep
) -> CustomerOut:
    """One account (by id or reference) with the categories the purpose may see."""
    return await committed(
        uow, lambda: service.read_customer(uow, customer, access(staff, purpose)), read=True
    )


@router.patch("/api/customers/{customer}", response_model=CustomerOut, responses=REFUSED)
async def rectify_customer(
    customer: str, body: CustomerUpdate, purpose: PurposeQuery, staff: Updater, uow: UowDep
) -> CustomerOut:
    """Correct account fields; the audit log records which fields changed, never values."""
    return await committed(
        uow, lambda: service.rectify_customer(uow, customer, body, access(staff, purpose))
    )


@router.get("/api/customers/{customer}/view", response_model=CustomerView, responses=REFUSED)
async def customer_view(
    customer: str, purpose: PurposeQuery, staff: Reader, uow: UowDep
) -> CustomerView:
    """The single customer view of the person behind this account, for the purpose."""
    return await committed(
        uow, lambda: service.customer_view(uow, customer, access(staff, purpose)), read=True
    )


@router.post(
    "/api/customers/{customer}/addresses",
    response_model=AddressOut,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def add_address(
    customer: str, body: AddressIn, purpose: PurposeQuery, staff: Updater, uow: UowDep
) -> AddressOut:
    """Add a postal, billing or delivery address."""
    return await committed(
        uow, lambda: service.add_address(uow, customer, body, access(staff, purpose))
    )


@router.post(
    "/api/customers/{customer}/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def record_contact(
    customer: str, body: ContactIn, purpose: PurposeQuery, staff: Updater, uow: UowDep
) -> ContactOut:
    """Record a query or complaint."""
    return await committed(
        uow, lambda: service.record_contact(uow, customer, body, access(staff, purpose))
    )


@router.get("/api/customers/{customer}/orders", response_model=list[OrderOut], responses=REFUSED)
async def list_orders(
    customer: str, purpose: PurposeQuery, staff: OrderReader, uow: UowDep
) -> list[OrderOut]:
    """The person's orders with their lines."""
    return await committed(
        uow, lambda: service.list_orders(uow, customer, access(staff, purpose)), read=True
    )


@router.get("/api/orders/{order}", response_model=OrderOut, responses=REFUSED)
async def get_order(order: str, purpose: PurposeQuery, staff: OrderReader, uow: UowDep) -> OrderOut:
    """One order by id or number."""
    return await committed(
        uow, lambda: service.get_order(uow, order, access(staff, purpose)), read=True
    )


@router.get(
    "/api/customers/{customer}/invoices", response_model=list[InvoiceOut], responses=REFUSED
)
async def list_invoices(
    customer: str, purpose: PurposeQuery, staff: InvoiceReader, uow: UowDep
) -> list[InvoiceOut]:
    """The person's invoices."""
    return await committed(
        uow, lambda: service.list_invoices(uow, customer, access(staff, purpose)), read=True
    )


@router.get("/api/invoices/{invoice}", response_model=InvoiceOut, responses=REFUSED)
async def get_invoice(
    invoice: str, purpose: PurposeQuery, staff: InvoiceReader, uow: UowDep
) -> InvoiceOut:
    """One invoice by id or number."""
    return await committed(
        uow, lambda: service.get_invoice(uow, invoice, access(staff, purpose)), read=True
    )
