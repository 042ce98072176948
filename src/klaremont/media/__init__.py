"""Media inventory and disposal: items holding personal data, movements, stocktakes, disposal."""
