"""API routers, one module per capability; each module exposes ``router``."""
