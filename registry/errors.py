"""Domain errors: raised by services, carrying a message already translatable."""


class DomainError(Exception):
    """A rule of the registry refused the action. `message` is shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The user's role does not allow the action on an object it can see."""
