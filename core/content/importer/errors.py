"""The one error the importer reports to the operator: a sentence, never a traceback."""

from __future__ import annotations


class ImportProblem(Exception):
    """Something the operator can act on: a missing file, a bad slug, a feed that won't parse."""
