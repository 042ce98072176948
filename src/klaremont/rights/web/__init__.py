"""Web adapters of the rights capability (routers and pages; thin)."""
