"""Errors and warnings raised by triage.

Each error says what was expected, what was found and how to fix it. They subclass built-in
exceptions so callers that already catch ValueError / KeyError / OSError keep working.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base class of every error triage raises on purpose."""


class InputError(TriageError, ValueError):
    """The input file or frame cannot be scored as given."""


class MissingColumnError(InputError, KeyError):
    """A required column is absent; the message names accepted names and the columns found."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(TriageError, ValueError):
    """The configuration file holds an unknown key or a bad value."""


class ModelLoadError(TriageError, OSError):
    """A model folder is missing, incomplete, of an unknown format, or holds untrusted content."""


class TriageWarning(UserWarning):
    """Something in the input was odd but the run went on (duplicate ids, unreadable values)."""
