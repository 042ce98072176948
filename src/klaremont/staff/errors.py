"""Errors of staff identity and access; each maps to one problem+json ``code``.

A failed login is not an error here: every kind of failure gets the same response, built
by the web adapter from :data:`LOGIN_FAILED_DETAIL`, so nothing tells an unknown username
from a wrong password, a locked, disabled or expired account.
"""

from __future__ import annotations

from klaremont.errors import AuthenticationRequired, PermissionDenied

LOGIN_FAILED_TITLE = "Login failed"
LOGIN_FAILED_DETAIL = (
    "The username, password or authenticator code is not correct, or this account cannot "
    "sign in from here. Repeated failures lock the account."
)


class SessionEnded(AuthenticationRequired):
    """The session key is unknown, ended, idle too long or past its lifetime."""

    code = "session-ended"
    title = "Sign in again"


class PasswordChangeRequired(PermissionDenied):
    """The password expired or was reset: nothing but a password change is allowed."""

    code = "password-change-required"
    title = "Password change required"


class ReauthenticationRequired(PermissionDenied):
    """A sensitive action needs a password entered within the policy's few minutes."""

    code = "reauthentication-required"
    title = "Confirm your password"


class CsrfRejected(PermissionDenied):
    """A form or cookie-authenticated request without the session's anti-forgery token."""

    code = "csrf-rejected"
    title = "Request not accepted"


class VettingRequired(PermissionDenied):
    """A role that reads personal or cardholder data needs a background check first."""

    code = "vetting-required"
    title = "Background check required"


class RemoteAccessRefused(PermissionDenied):
    """Remote use without an approved grant or a second factor."""

    code = "remote-access-refused"
    title = "Remote access not authorised"
