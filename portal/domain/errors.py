"""Domain errors. A view puts the message on its form and re-renders; htmx gets 409.

Messages are English msgids marked with `N_` so Babel extracts them; the web layer
translates them when it shows them (the domain knows no request and so no locale).
"""


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class RuleViolation(Exception):
    """A rule of the mechanism forbids this step. The message is for the user (translated)."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params  # values for the message's %(name)s placeholders
