"""The scan capability's web adapters: the API and the console pages."""
