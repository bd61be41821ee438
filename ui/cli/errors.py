"""User-facing failures for the CLI: one line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input the user can fix; the message names the file, line or field and what to do."""
