"""Processing purposes: the register (purpose, lawful basis and data categories) and the one
decision :func:`~klaremont.purposes.decide.authorise` that every read of personal data asks.
The vocabulary (:class:`~klaremont.policy.purposes.Purpose`,
:class:`~klaremont.policy.purposes.LawfulBasis`) lives in the policy foundation."""
