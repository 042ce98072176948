"""Staff identity and access: accounts, passwords, lockout, MFA, roles, sessions, leavers, reviews.

Services (no FastAPI or Typer): ``service_accounts``, ``service_passwords``,
``service_authn`` (the one password check), ``service_sessions``, ``service_mfa``,
``service_remote``, ``service_lifecycle``, ``service_review``; the scheduled sweep in
``jobs``; offboarding hooks in ``hooks``. The web gate every router uses is
``klaremont.staff.web.guard.require``.
"""
