"""The policy as data: the policy file and its loader, the clause catalog, live checks, trace."""
