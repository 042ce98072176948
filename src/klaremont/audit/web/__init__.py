"""Web adapters of the audit capability (routers and pages; thin)."""
