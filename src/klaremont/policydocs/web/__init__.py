"""Policy document pages."""
