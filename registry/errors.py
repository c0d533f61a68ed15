"""Domain errors: raised by services, carrying a message already translatable."""


class DomainError(Exception):
    """A rule of the registry refused the action. `message` is shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The user's role does not allow the action on an object it can see."""


class FieldErrors(DomainError):
    """Several fields refused at once, so that a form shows every error in one go.
    `errors` holds one DomainError per problem, each naming its field."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


class Problems:
    """Runs the checks of a form one after the other and keeps every DomainError they
    raise, instead of stopping at the first: `check(function, ...)` returns the
    function's value, or None when it refused; `raise_if_any()` raises them together."""

    def __init__(self):
        self.errors: list[DomainError] = []

    def check(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except FieldErrors as error:
            self.errors.extend(error.errors)
        except DomainError as error:
            if type(error) is not DomainError:  # NotAllowed and the like stop everything
                raise
            self.errors.append(error)
        return None

    def add(self, message, field: str | None = None) -> None:
        self.errors.append(DomainError(message, field=field))

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise FieldErrors(self.errors)


def errors_by_field(error: DomainError) -> dict[str | None, list[str]]:
    """field name (None for the form as a whole) -> its messages, as a page shows them."""
    found: dict[str | None, list[str]] = {}
    for item in getattr(error, "errors", [error]):
        found.setdefault(item.field, []).append(str(item.message))
    return found
