"""The one error a person causes: the router turns it into the reply, handlers never re-word it.

A `UserError` carries a Vietnamese message that says what was wrong and what to type instead.
Raising it anywhere below a command (a parser, a rule, a storage check) ends the command: the
router rolls back nothing itself, it only answers; so raise before writing, or let the
transaction (which the router does not commit on error) drop what was written.
"""

from __future__ import annotations


class UserError(ValueError):
    """Input that breaks a rule; `str(error)` is the Vietnamese answer."""
