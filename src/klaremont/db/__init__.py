"""Database layer: engines, declarative base, portable types, unit of work, migrations."""
