"""Web adapters: the FastAPI app factory, API routers and server-rendered pages."""
