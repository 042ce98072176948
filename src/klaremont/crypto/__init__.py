"""Keys and field encryption: key ring, keystore, subject data keys, sealed fields, blind index."""
