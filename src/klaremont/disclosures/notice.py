"""The Art. 19 notice to a recipient (template ``recipient_update``).

It names the disclosure (our reference), the person by their account reference (as the
export named them), what happened to their data and which fields or categories it touched,
never a value; the mail guard (:func:`klaremont.mail.templates.check_body`) checks it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from klaremont.errors import ValidationFailed
from klaremont.mail.templates import Rendered

_REFERENCE = re.compile(r"[A-Z0-9-]{4,40}")
_WHAT = re.compile(r"[a-z_., ]{1,400}")
CHANGES = {
    "rectified": "corrected (rectified)",
    "restricted": "restricted: it may be stored but not otherwise used",
    "erased": "erased",
}
ASK = {
    "rectified": "Please correct your copy, or ask us for the corrected data if you still need it.",
    "restricted": "Please restrict your own use of it in the same way.",
    "erased": "Please erase your copy unless the law requires you to keep it.",
}


@dataclass(frozen=True, slots=True)
class RecipientUpdate:
    """Tell a recipient that data they received from us changed (UK GDPR Art. 19)."""

    name: ClassVar[str] = "recipient_update"
    disclosure: str
    account: str
    change: str
    what: str

    def render(self, public_url: str) -> Rendered:
        """The message (no link: the recipient has no account in the privacy centre)."""
        del public_url
        for field, value in (("disclosure", self.disclosure), ("account", self.account)):
            if not _REFERENCE.fullmatch(value):
                raise ValidationFailed.single(field, "must be a reference (letters, digits, -)")
        if self.change not in CHANGES:
            raise ValidationFailed.single("change", f"one of {', '.join(CHANGES)}")
        if not _WHAT.fullmatch(self.what):
            raise ValidationFailed.single("what", "field or category names only")
        body = (
            "Hello,\n\n"
            f"Klaremont gave you personal data under our reference {self.disclosure}. "
            f"The data of the person with our account reference {self.account} has since been "
            f"{CHANGES[self.change]} ({self.what}).\n\n"
            f"{ASK[self.change]}\n\n"
            "We tell every recipient of the data, as UK GDPR Article 19 requires. Please reply "
            "to our Data Protection Officer quoting our reference; this message carries no "
            "personal values on purpose.\n\nKlaremont"
        )
        return Rendered(
            self.name,
            f"Personal data we disclosed to you has changed ({self.disclosure})",
            body,
            (self.disclosure, self.account),
        )
