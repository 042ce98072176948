"""Web adapters of the accuracy capability (routers and pages; thin)."""
