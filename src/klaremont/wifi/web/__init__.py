"""The wireless capability's web adapters: the API, the console pages and the login page."""
