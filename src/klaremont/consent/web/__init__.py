"""Web adapters of the consent capability (routers and pages; thin)."""
