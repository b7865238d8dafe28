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


class RuleViolations(RuleViolation):
    """Several rules refuse one step at once: every wrong field is told in one pass, each
    beside its field (issue 17 item 3). Reads as the first one where only one is shown."""

    def __init__(self, violations: list[RuleViolation]):
        first = violations[0]
        super().__init__(first.message, first.field, **first.params)
        self.violations = list(violations)


def collect(*checks) -> list[RuleViolation]:
    """Run every check (a callable that may raise RuleViolation) and return what they
    refused, instead of stopping at the first."""
    found = []
    for check in checks:
        try:
            check()
        except RuleViolations as many:
            found.extend(many.violations)
        except RuleViolation as one:
            found.append(one)
    return found


def refuse(violations: list[RuleViolation]) -> None:
    """Raise what `collect` found, if anything: one violation as itself, several together."""
    if len(violations) == 1:
        raise violations[0]
    if violations:
        raise RuleViolations(violations)
