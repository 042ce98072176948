"""The payment-provider port: the provider keeps card numbers, Klaremont keeps a token.

A :class:`PaymentProvider` turns a card number into an opaque token; Klaremont stores only
that token (sealed), the brand, the expiry and the last four digits (IS-SENS-MASK). The
:class:`LocalProvider` stands in for a real provider in development and tests: its vault
lives in its own process memory only -- never in Klaremont's databases, files or logs.
Production refuses to run with it (:func:`provider_for`).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from klaremont.detectors.pan import check_pan, mask
from klaremont.errors import ConfigurationError, NotFound

if TYPE_CHECKING:
    import random

    from klaremont.platform import Platform

LOCAL_PROVIDER: Final = "localpay"
_EXTRAS_KEY: Final = "cards.provider"


@dataclass(frozen=True, slots=True)
class TokenResult:
    """What a provider returns for a card: all Klaremont may keep of it."""

    token: str = field(repr=False)
    brand: str
    last4: str

    def __repr__(self) -> str:
        return f"TokenResult({self.brand}, {mask(self.last4)})"


@runtime_checkable
class PaymentProvider(Protocol):
    """A payment provider's card vault."""

    name: str

    def tokenise(self, pan: str, exp_month: int, exp_year: int) -> TokenResult:
        """Vault a card number; return a token, the brand and the last four digits."""
        ...

    def forget(self, token: str) -> None:
        """Delete a vaulted card (a removed card, an erased customer)."""
        ...


@dataclass(slots=True)
class _Vaulted:
    pan: str = field(repr=False)
    exp_month: int
    exp_year: int


class LocalProvider:
    """An in-memory provider for development and tests (a fresh vault each process).

    ``token_source`` makes tokens deterministic (demo data); by default they are random.
    """

    name = LOCAL_PROVIDER

    def __init__(self, token_source: random.Random | None = None) -> None:
        self._vault: dict[str, _Vaulted] = {}
        self._lock = threading.Lock()
        self._source = token_source

    def __repr__(self) -> str:
        return f"LocalProvider(cards={len(self._vault)})"

    def tokenise(self, pan: str, exp_month: int, exp_year: int) -> TokenResult:
        """Validate (Luhn and brand ranges), vault in memory, return a ``tok_local_`` token."""
        checked = check_pan(pan)
        with self._lock:
            token = self._new_token()
            self._vault[token] = _Vaulted(checked.digits, exp_month, exp_year)
        return TokenResult(token=token, brand=checked.brand, last4=checked.last4)

    def forget(self, token: str) -> None:
        """Remove the card; an unknown token is a :class:`NotFound` (it says nothing more)."""
        with self._lock:
            if self._vault.pop(token, None) is None:
                raise NotFound("The provider holds no such card.")

    def holds(self, token: str) -> bool:
        """True while the vault holds ``token`` (tests)."""
        with self._lock:
            return token in self._vault

    def _new_token(self) -> str:
        if self._source is not None:
            return f"tok_local_{self._source.getrandbits(96):024x}"
        return f"tok_local_{secrets.token_hex(12)}"


def provider_for(platform: Platform) -> PaymentProvider:
    """The platform's payment provider: one set with :func:`use_provider`, or a local one.

    Production refuses the local provider: a real provider must be configured.
    """
    current = platform.extras.get(_EXTRAS_KEY)
    if isinstance(current, PaymentProvider):
        return current
    if platform.settings.is_production:
        raise ConfigurationError(
            "no payment provider is configured; production cannot use the local test provider"
        )
    local = LocalProvider()
    platform.extras[_EXTRAS_KEY] = local
    return local


def use_provider(platform: Platform, provider: PaymentProvider) -> None:
    """Make ``platform`` tokenise with ``provider`` (a real provider's adapter, or a test one)."""
    platform.extras[_EXTRAS_KEY] = provider
