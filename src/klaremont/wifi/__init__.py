"""Guest and staff wireless: a RADIUS server, guest codes, staff devices, opening hours."""
