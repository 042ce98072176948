"""Encrypted personal fields for ORM models, declared once per field.

::

    class Customer(SealedMixin, IdMixin, Base):
        __tablename__ = "customers"
        subject_id: Mapped[uuid.UUID]
        email = sealed(index="email")
        notes = sealed()

For each sealed field the mixin maps a ciphertext column named like the field (attribute
``_email_sealed``, column ``email``) and, with ``index=``, a blind-index column
``email_bidx``. Assigning ``customer.email = "x"`` keeps the plaintext on the object only;
at flush the value is sealed with the session's crypto context (``session.info["crypto"]``)
for the row's table, column, id and subject. Reading decrypts lazily and caches the
plaintext per ciphertext. Find rows with ``blind_match(Customer.email, value, session)``.

Sealing happens in ORM flushes only: Core ``insert()``/``update()`` statements and bulk ORM
operations bypass it, and ``Session.merge()`` does not carry unflushed values (flush first).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast, overload

from sqlalchemy import LargeBinary, String, event, inspect
from sqlalchemy.orm import Session, mapped_column, object_session
from sqlalchemy.orm.attributes import flag_dirty, instance_state

from klaremont.crypto.blind_index import INDEX_HEX_LENGTH, NORMALISERS
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.errors import CryptoContextMissing, CryptoError

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable

    from sqlalchemy.orm import UOWTransaction
    from sqlalchemy.sql.elements import ColumnElement

_STATE_KEY = "klaremont.sealed"


class _SealedRow(Protocol):
    """What a model with sealed fields provides: its row id and its data subject."""

    id: uuid.UUID
    subject_id: uuid.UUID


class _SealedState:
    """Per-object plaintexts: values awaiting the next flush, and decrypted values by ciphertext."""

    __slots__ = ("pending", "plain")

    def __init__(self) -> None:
        self.pending: dict[str, str | None] = {}
        self.plain: dict[str, tuple[bytes, str]] = {}

    def __repr__(self) -> str:
        return f"<sealed values: {len(self.pending)} pending, {len(self.plain)} decrypted>"

    def __reduce__(self) -> tuple[type[_SealedState], tuple[()]]:
        """Pickle as empty: plaintext never leaves the process inside a pickled object."""
        return (_SealedState, ())


class SealedField:
    """Descriptor of one encrypted personal field; create it with :func:`sealed`."""

    __slots__ = ("_table", "column_attr", "index", "index_attr", "name", "owner")

    def __init__(self, *, index: str | None = None) -> None:
        """Declare the field; ``index`` names a blind-index kind ("email", "phone")."""
        if index is not None and index not in NORMALISERS:
            msg = f"unknown blind index kind {index!r}; known: {', '.join(NORMALISERS)}"
            raise ValueError(msg)
        self.index = index
        self.name = ""
        self.column_attr = ""
        self.index_attr: str | None = None
        self.owner: type[Any] | None = None
        self._table: str | None = None

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.owner = owner
        self.name = name
        self.column_attr = f"_{name}_sealed"
        self.index_attr = f"{name}_bidx" if self.index else None

    def __repr__(self) -> str:
        owner = self.owner.__name__ if self.owner else "?"
        return f"sealed({owner}.{self.name}, index={self.index!r})"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> str | None: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Self | str | None:
        if obj is None:
            return self
        state = _peek_state(obj)
        if state is not None and self.name in state.pending:
            return state.pending[self.name]
        sealed_value = getattr(obj, self.column_attr)
        if sealed_value is None:
            return None
        sealed_value = bytes(sealed_value)
        ctx = _context(object_session(obj))
        row = cast("_SealedRow", obj)
        cached = state.plain.get(self.name) if state is not None else None
        if cached is not None and cached[0] == sealed_value:
            if ctx is not None:
                ctx.check_not_shredded(row.subject_id)
            return cached[1]
        if ctx is None:
            raise CryptoContextMissing(
                f"{self} cannot be decrypted: the object is not in a session with a crypto "
                "context (work inside Platform.unit_of_work)"
            )
        value = ctx.open(row.subject_id, self.table, self.name, row.id, sealed_value)
        _state(obj).plain[self.name] = (sealed_value, value)
        return value

    def __set__(self, obj: object, value: str | None) -> None:
        if value is not None:
            if not isinstance(cast("object", value), str):  # callers without a type checker
                msg = f"{self} takes text or None, not {type(value).__name__}"
                raise TypeError(msg)
            if self.index is not None:
                NORMALISERS[self.index](value)  # refuse a malformed value now, not at flush
        _state(obj).pending[self.name] = value
        flag_dirty(obj)

    @property
    def table(self) -> str:
        """Name of the table holding the ciphertext column (part of the associated data)."""
        if self._table is None:
            if self.owner is None:
                raise TypeError("sealed() must be assigned in a class body")
            column = inspect(self.owner).columns[self.column_attr]
            self._table = str(column.table.name)
        return self._table

    def matches(self, value: str, using: Session | CryptoContext) -> ColumnElement[bool]:
        """``WHERE <name>_bidx = :hmac``: rows whose field equals ``value`` once normalised."""
        if self.index_attr is None or self.index is None:
            msg = f"{self} has no blind index; declare it with sealed(index=...)"
            raise TypeError(msg)
        ctx = using if isinstance(using, CryptoContext) else _require_context(using, self)
        column = getattr(self.owner, self.index_attr)
        clause: ColumnElement[bool] = column == ctx.blind_index(self.index, value)
        return clause

    def _flush(
        self, obj: object, ctx: CryptoContext, value: str | None, state: _SealedState
    ) -> None:
        """Write the ciphertext (and blind index) of ``value`` into the mapped columns."""
        if value is None:
            setattr(obj, self.column_attr, None)
            state.plain.pop(self.name, None)
        else:
            subject_id, row_id = getattr(obj, "subject_id", None), getattr(obj, "id", None)
            if subject_id is None or row_id is None:
                raise CryptoError(f"{self} cannot be sealed: set the row's id and subject_id first")
            ciphertext = ctx.seal(subject_id, self.table, self.name, row_id, value)
            setattr(obj, self.column_attr, ciphertext)
            state.plain[self.name] = (ciphertext, value)
        if self.index_attr is not None and self.index is not None:
            digest = None if value is None else ctx.blind_index(self.index, value)
            setattr(obj, self.index_attr, digest)


def sealed(*, index: str | None = None) -> SealedField:
    """Declare an encrypted personal field (optionally with a blind index of that kind)."""
    return SealedField(index=index)


def blind_match(
    field: SealedField, value: str, using: Session | CryptoContext
) -> ColumnElement[bool]:
    """``WHERE <field>_bidx = :hmac``: ``select(M).where(blind_match(M.email, v, session))``."""
    return field.matches(value, using)


class SealedMixin:
    """Maps the columns behind every :func:`sealed` field; list it before the declarative base."""

    __sealed_fields__: ClassVar[dict[str, SealedField]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        if "__mapper__" in cls.__dict__:
            msg = f"{cls.__name__}: list SealedMixin before the declarative base in its bases"
            raise TypeError(msg)
        own = {name: f for name, f in vars(cls).items() if isinstance(f, SealedField)}
        for name, f in own.items():
            setattr(cls, f.column_attr, mapped_column(name, LargeBinary, nullable=True))
            if f.index_attr is not None:
                column = mapped_column(
                    f.index_attr, String(INDEX_HEX_LENGTH), nullable=True, index=True
                )
                setattr(cls, f.index_attr, column)
        cls.__sealed_fields__ = {**cls.__sealed_fields__, **own}
        super().__init_subclass__(**kw)


# ---------------------------------------------------------------------- session plumbing
def _peek_state(obj: object) -> _SealedState | None:
    state: _SealedState | None = instance_state(obj).info.get(_STATE_KEY)
    return state


def _state(obj: object) -> _SealedState:
    info = instance_state(obj).info
    state: _SealedState | None = info.get(_STATE_KEY)
    if state is None:
        state = info[_STATE_KEY] = _SealedState()
    return state


def _context(session: Session | None) -> CryptoContext | None:
    if session is None:
        return None
    ctx = session.info.get("crypto")
    return ctx if isinstance(ctx, CryptoContext) else None


def _require_context(session: Session, field: SealedField) -> CryptoContext:
    ctx = _context(session)
    if ctx is None:
        raise CryptoContextMissing(
            f"{field} needs a crypto context in session.info['crypto'] (use Platform.unit_of_work)"
        )
    return ctx


def _seal_pending(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    """Before each flush, seal every pending sealed value of new and changed objects."""
    for obj in itertools.chain(session.new, session.dirty):
        if not isinstance(obj, SealedMixin):
            continue
        state = _peek_state(obj)
        if state is None or not state.pending:
            continue
        fields = type(obj).__sealed_fields__
        for name, value in state.pending.items():
            field = fields[name]
            field._flush(obj, _require_context(session, field), value, state)  # noqa: SLF001 - module-private
        state.pending.clear()


def _discard_pending(target: SealedMixin | None, attrs: Iterable[str] | None) -> None:
    """When the ORM expires attributes (rollback, ``expire()``), drop their unflushed values."""
    if target is None:  # SQLAlchemy passes None for an object already garbage-collected
        return
    state = _peek_state(target)
    if state is None or not state.pending:
        return
    if attrs is None:
        state.pending.clear()
        return
    expired = set(attrs)
    for name, field in type(target).__sealed_fields__.items():
        if field.column_attr in expired:
            state.pending.pop(name, None)


if not event.contains(Session, "before_flush", _seal_pending):
    event.listen(Session, "before_flush", _seal_pending)
if not event.contains(SealedMixin, "expire", _discard_pending):
    event.listen(SealedMixin, "expire", _discard_pending, propagate=True)
