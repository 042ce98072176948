"""The compliance view's console pages."""
