"""Loads every table of the data store: the foundation's own (``klaremont.db.models``:
platform metadata) and the modules each capability declares as ``models``."""

from __future__ import annotations

import importlib

from klaremont import capabilities

#: The foundation's own tables, which belong to no capability.
FOUNDATION_MODELS = "klaremont.db.models"


@capabilities.derived
def load_all_models() -> tuple[str, ...]:
    """Import every model module (the foundation's, then the capabilities'); returns their
    names. A new revision is generated against all of them, so none is dropped for being
    left unloaded."""
    importlib.import_module(FOUNDATION_MODELS)
    return (FOUNDATION_MODELS, *capabilities.import_all("models"))
