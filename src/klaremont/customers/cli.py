"""``klaremont customers …``: the customer store from the shell, purpose-bound and audited.

Commands run as the shell operator (``cli:<os user>``), a system actor whose allowance
covers every purpose but marketing (:mod:`klaremont.purposes.decide`); restriction,
objection and the card-data guard apply exactly as on the web. Output is JSON. A card
number and passwords are prompted for, never taken as arguments (shell history, ``ps``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.customers import service
from klaremont.customers.access import Access
from klaremont.customers.models import CollectionChannel
from klaremont.customers.schemas import ContactIn, CustomerCreate, CustomerUpdate
from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.policy.purposes import LawfulBasis, Purpose

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from klaremont.platform import UnitOfWork

app = typer.Typer(
    name="customers", help="Customer data store and saved cards.", no_args_is_help=True
)
PurposeOpt = Annotated[
    Purpose, typer.Option("--purpose", "-p", help="why the data is processed (required)")
]
Key = Annotated[str, typer.Argument(help="customer id or reference (C0000001)")]


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def run(work: Callable[[UnitOfWork], T]) -> T:
    with get_platform().unit_of_work(actor=cli_actor()) as uow:
        return work(uow)


def validate(model: type[M], data: dict[str, object]) -> M:
    """Validate input; a problem names the field and rule, never the value typed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"]) or "input", e["msg"])
            for e in exc.errors()
        ]
        detail = "; ".join(f"{p.field}: {p.rule}" for p in problems)
        raise ValidationFailed(detail, problems=problems) from None


def emit(value: BaseModel | Sequence[BaseModel]) -> None:
    if isinstance(value, BaseModel):
        console.print_json(value.model_dump_json())
    else:
        console.print_json("[" + ",".join(item.model_dump_json() for item in value) + "]")


@app.command("create")
def create(
    *,
    name: Annotated[str, typer.Option(help="full name")],
    email: Annotated[str, typer.Option(help="e-mail address")],
    channel: Annotated[CollectionChannel, typer.Option(help="how the data reached us (PP-SRC)")],
    lawful_basis: Annotated[LawfulBasis, typer.Option()] = LawfulBasis.CONTRACT,
    date_of_birth: Annotated[date | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    gender: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    mobile: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        bool, typer.Option("--password", help="prompt for an account password")
    ] = False,
) -> None:
    """Create a customer account (an e-mail already on file joins that person's record)."""
    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    body = validate(
        CustomerCreate,
        {
            "name": name,
            "email": email,
            "channel": channel,
            "lawful_basis": lawful_basis,
            "date_of_birth": date_of_birth,
            "gender": gender,
            "phone": phone,
            "mobile": mobile,
            "password": secret,
        },
    )
    emit(run(lambda uow: service.create_customer(uow, body)))


@app.command("show")
def show(key: Key, purpose: PurposeOpt) -> None:
    """One account, with the categories the purpose may see."""
    emit(run(lambda uow: service.read_customer(uow, key, Access(purpose))))


@app.command("view")
def view(key: Key, purpose: PurposeOpt) -> None:
    """The single customer view of the person behind an account."""
    emit(run(lambda uow: service.customer_view(uow, key, Access(purpose))))


@app.command("list")
def list_(
    purpose: PurposeOpt,
    cursor: Annotated[
        str | None, typer.Option(help="the last reference of the page before")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
) -> None:
    """A page of accounts by reference."""
    emit(run(lambda uow: service.list_customers(uow, Access(purpose), cursor=cursor, limit=limit)))


@app.command("search")
def search(
    purpose: PurposeOpt,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option(help="phone or mobile number")] = None,
) -> None:
    """Accounts by e-mail or phone (blind index)."""
    found = run(
        lambda uow: service.search_customers(uow, Access(purpose), email=email, phone=phone)
    )
    emit(found)


@app.command("rectify")
def rectify(
    key: Key,
    purpose: PurposeOpt,
    field: Annotated[
        list[str], typer.Option("--set", help="FIELD=VALUE (name, email, date_of_birth, ...)")
    ],
) -> None:
    """Correct account fields; an empty VALUE clears an optional field."""
    changes: dict[str, str | None] = {}
    for item in field:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{name!r}: write FIELD=VALUE")
        changes[name.strip()] = value or None
    body = validate(CustomerUpdate, dict(changes))
    emit(run(lambda uow: service.rectify_customer(uow, key, body, Access(purpose))))


@app.command("contact")
def contact(
    key: Key,
    purpose: PurposeOpt,
    kind: Annotated[str, typer.Option(help="query or complaint")],
    summary: Annotated[str, typer.Option(help="what the person said (no card numbers)")],
) -> None:
    """Record a query or complaint."""
    body = validate(ContactIn, {"kind": kind, "summary": summary})
    emit(run(lambda uow: service.record_contact(uow, key, body, Access(purpose))))


@app.command("orders")
def orders(key: Key, purpose: PurposeOpt) -> None:
    """The person's orders with their lines."""
    emit(run(lambda uow: service.list_orders(uow, key, Access(purpose))))


@app.command("order")
def order(
    number: Annotated[str, typer.Argument(help="order id or number")], purpose: PurposeOpt
) -> None:
    """One order."""
    emit(run(lambda uow: service.get_order(uow, number, Access(purpose))))


@app.command("invoices")
def invoices(key: Key, purpose: PurposeOpt) -> None:
    """The person's invoices."""
    emit(run(lambda uow: service.list_invoices(uow, key, Access(purpose))))


@app.command("invoice")
def invoice(
    number: Annotated[str, typer.Argument(help="invoice id or number")], purpose: PurposeOpt
) -> None:
    """One invoice."""
    emit(run(lambda uow: service.get_invoice(uow, number, Access(purpose))))


@app.command("set-password")
def set_password(key: Key) -> None:
    """Set a customer account's password (prompted twice, never echoed)."""
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    run(lambda uow: service.set_password(uow, key, secret))
    console.print("[green]password set[/]")
