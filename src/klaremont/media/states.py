"""The words of the media inventory: kinds of item, where an item stands, and the NIST SP
800-88 sanitisation categories with the techniques each allows."""

from __future__ import annotations

from enum import StrEnum


class MediaKind(StrEnum):
    """What an item is."""

    BACKUP = "backup"
    EXPORT = "export"
    REMOVABLE_DISK = "removable_disk"
    LAPTOP = "laptop"
    TAPE = "tape"
    PAPER_ARCHIVE = "paper_archive"


class ItemState(StrEnum):
    """Where an item stands."""

    IN_STORE = "in_store"
    OUT = "out"
    DISPOSAL_REQUESTED = "disposal_requested"
    DISPOSAL_APPROVED = "disposal_approved"
    DISPOSED = "disposed"
    MISSING = "missing"


class Category(StrEnum):
    """NIST SP 800-88 sanitisation categories."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class Technique(StrEnum):
    """How the sanitisation was done."""

    DELETE = "delete"
    OVERWRITE = "overwrite"
    CRYPTO_ERASE = "crypto_erase"
    DEGAUSS = "degauss"
    SHRED = "shred"
    INCINERATE = "incinerate"


class Step(StrEnum):
    """One step of a disposal."""

    REQUESTED = "requested"
    APPROVED = "approved"
    CARRIED_OUT = "carried_out"


#: the techniques each category allows (SP 800-88 Rev. 1, section 2.5 and appendix A)
TECHNIQUES: dict[Category, frozenset[Technique]] = {
    Category.CLEAR: frozenset({Technique.DELETE, Technique.OVERWRITE}),
    Category.PURGE: frozenset({Technique.CRYPTO_ERASE, Technique.OVERWRITE, Technique.DEGAUSS}),
    Category.DESTROY: frozenset({Technique.SHRED, Technique.INCINERATE}),
}

#: states from which an item may be moved or counted as present
ON_HAND = frozenset(
    {ItemState.IN_STORE, ItemState.OUT, ItemState.DISPOSAL_REQUESTED, ItemState.DISPOSAL_APPROVED}
)

KIND_WORDS = {
    MediaKind.BACKUP: "Backup file",
    MediaKind.EXPORT: "Data export",
    MediaKind.REMOVABLE_DISK: "Removable disk",
    MediaKind.LAPTOP: "Laptop",
    MediaKind.TAPE: "Tape",
    MediaKind.PAPER_ARCHIVE: "Paper archive",
}
STATE_WORDS = {
    ItemState.IN_STORE: "In store",
    ItemState.OUT: "Handed out",
    ItemState.DISPOSAL_REQUESTED: "Disposal requested",
    ItemState.DISPOSAL_APPROVED: "Disposal approved",
    ItemState.DISPOSED: "Disposed of",
    ItemState.MISSING: "Missing",
}
CATEGORY_WORDS = {
    Category.CLEAR: "Clear",
    Category.PURGE: "Purge",
    Category.DESTROY: "Destroy",
}
TECHNIQUE_WORDS = {
    Technique.DELETE: "Delete",
    Technique.OVERWRITE: "Overwrite",
    Technique.CRYPTO_ERASE: "Crypto-erase (destroy the key)",
    Technique.DEGAUSS: "Degauss",
    Technique.SHRED: "Shred",
    Technique.INCINERATE: "Incinerate",
}
STEP_WORDS = {
    Step.REQUESTED: "Requested",
    Step.APPROVED: "Approved",
    Step.CARRIED_OUT: "Carried out",
}
