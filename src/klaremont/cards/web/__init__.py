"""Web adapters of the cards capability (routers and pages; thin)."""
