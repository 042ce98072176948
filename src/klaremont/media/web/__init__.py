"""Media console pages and API."""
