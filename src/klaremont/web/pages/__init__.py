"""Server-rendered HTML pages (Jinja2, no inline scripts or styles: the CSP forbids them)."""
