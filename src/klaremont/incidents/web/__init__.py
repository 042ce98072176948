"""The incident pages and API."""
