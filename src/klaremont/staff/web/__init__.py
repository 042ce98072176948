"""Web adapters of the staff capability (routers and pages; thin)."""
