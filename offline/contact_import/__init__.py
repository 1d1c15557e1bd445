"""`leadintake import-contacts`: reader (the file), importer (records through the duplicate
detector, in checkpointed batches), summary and progress (what the operator sees)."""

from offline.contact_import.command import run_import_command
from offline.contact_import.const import BATCH
from offline.contact_import.importer import ImportOptions, UnknownOwner, import_contacts
from offline.contact_import.reader import ImportFile, ImportFileError, open_import_file
from offline.contact_import.summary import ImportReport, Tally

__all__ = [
    "BATCH",
    "ImportFile",
    "ImportFileError",
    "ImportOptions",
    "ImportReport",
    "Tally",
    "UnknownOwner",
    "import_contacts",
    "open_import_file",
    "run_import_command",
]
