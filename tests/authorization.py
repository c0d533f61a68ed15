"""The authorization matrix: every route of the app is declared once, with the answer
each role must get when it reaches for an object of another country.

Each feature declares its routes in `tests/<feature>/matrix.py` as `ROUTES`, a list of
`Route`. The matrix test fails when a route of `app.url_map` is not declared.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("viewer", "officer", "tracing_officer", "supervisor", "agency_admin", "platform_admin")


@dataclass
class Route:
    endpoint: str
    method: str = "GET"
    # world -> URL arguments; objects in them belong to ANOTHER country than the user's
    args: Callable[[object], dict] = field(default=lambda world: {})
    # role (or "anonymous") -> expected status; roles not named get `default`
    expect: dict[str, int] = field(default_factory=dict)
    default: int = 200
    data: Callable[[object], dict] = field(default=lambda world: {})

    def expected(self, role: str) -> int:
        if role in self.expect:
            return self.expect[role]
        if role == "anonymous":
            return 401 if self.endpoint.split(".")[0].endswith("api") else 302
        return self.default


def everyone_but(status: int, *roles: str) -> dict[str, int]:
    """Roles not named get `status`; the named ones keep the route's default."""
    return {role: status for role in ROLES if role not in roles}
