"""Web adapters of the customers capability (routers and pages; thin)."""
