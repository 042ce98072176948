"""Saved-card commands, added to the ``klaremont customers`` group (``cli:customers``)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from klaremont.cards import service as cards
from klaremont.cards.schemas import CardIn
from klaremont.customers.access import Access
from klaremont.customers.cli import Key, PurposeOpt, emit, run, validate


def register(group: typer.Typer) -> None:
    """Add ``cards``, ``add-card`` and ``remove-card`` to the customers group."""
    group.command("cards")(list_cards)
    group.command("add-card")(add_card)
    group.command("remove-card")(remove_card)


def list_cards(key: Key, purpose: PurposeOpt) -> None:
    """The person's saved cards, masked (each read is audited)."""
    emit(run(lambda uow: cards.list_cards(uow, key, Access(purpose))))


def add_card(
    key: Key,
    purpose: PurposeOpt,
    exp_month: Annotated[int, typer.Option(min=1, max=12)],
    exp_year: Annotated[int, typer.Option(min=2000, max=2100)],
) -> None:
    """Tokenise a card; the number is prompted for (hidden) and goes only to the provider."""
    pan = typer.prompt("Card number", hide_input=True)
    body = validate(CardIn, {"pan": pan, "exp_month": exp_month, "exp_year": exp_year})
    emit(run(lambda uow: cards.add_card(uow, key, body, Access(purpose))))


def remove_card(
    key: Key, card_id: Annotated[uuid.UUID, typer.Argument()], purpose: PurposeOpt
) -> None:
    """Remove a saved card (the provider forgets it)."""
    emit(run(lambda uow: cards.remove_card(uow, key, card_id, Access(purpose))))
