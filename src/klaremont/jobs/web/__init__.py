"""The job worker's web adapters: the staff page and the JSON API."""
