"""The processors console and API."""
