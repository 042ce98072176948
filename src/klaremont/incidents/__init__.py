"""Incident response: reports, the ISO's investigation, the team, the action log and the
notification clocks (Security Personnel section of the policy)."""
