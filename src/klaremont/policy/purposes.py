"""Processing purposes and lawful bases (DP-CONTROLLER, DP-FAIR, DP-PURPOSE).

Every read of personal data names a :class:`Purpose`; a staff role may process only for
the purposes its role allows (see :mod:`klaremont.staff.permissions`). The register that
binds each purpose to its :class:`LawfulBasis` per data category is added by the customer
store; this module only names the vocabulary so every capability speaks the same words.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """Why personal data is processed. The controller activities (DP-CONTROLLER) are
    order processing, invoicing and marketing; support, legal obligations and security
    are the operational and legal needs the Information Security Policy allows.
    """

    ORDER_PROCESSING = "order_processing"
    INVOICING = "invoicing"
    MARKETING = "marketing"
    SUPPORT = "support"
    LEGAL_OBLIGATION = "legal_obligation"
    SECURITY = "security"


class LawfulBasis(StrEnum):
    """The UK GDPR Art. 6(1) bases the policies rely on."""

    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate_interest"


class MarketingChannel(StrEnum):
    """How special offers may reach a person (PP-OPTOUT)."""

    EMAIL = "email"
    POST = "post"
    PHONE = "phone"
    SMS = "sms"


__all__ = ["LawfulBasis", "MarketingChannel", "Purpose"]
