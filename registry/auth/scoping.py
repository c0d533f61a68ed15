"""Which rows of each kind a user may see or change: the one place that answers it.

Every view, export, API endpoint and CLI command loads objects through `visible()`,
`changeable()` or `get_visible_or_404()`. A feature plugs its kinds in with
`@scope_rule(Model)`; a kind without a rule is visible to nobody (deny by default).
An object the user may not see answers 404, so its existence is never confirmed.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from sqlalchemy import BigInteger, Select, false, select

from registry.auth.models import Agency, User, UserSession
from registry.auth.roles import Permission
from registry.extensions import db

ModelT = TypeVar("ModelT")

# model -> function(user, statement, action) -> statement with the user's filter applied
_RULES: dict[type, Callable[[User, Select, str], Select]] = {}

VIEW = "view"
CHANGE = "change"
# Rows counted in the statistics of a state: its own records and traces (every state's for
# a user allowed READ_ALL_STATISTICS). Figures only: the rows themselves stay under VIEW.
STATISTICS = "statistics"


def scope_rule(model: type):
    """Register the function that narrows a query on `model` to what a user may reach."""

    def register(function):
        _RULES[model] = function
        return function

    return register


def scoped(user: User, statement: Select, model: type, action: str = VIEW) -> Select:
    """Apply the user's scope on `model` to an existing statement."""
    rule = _RULES.get(model)
    if rule is None or user is None or not user.is_active:
        return statement.where(false())
    return rule(user, statement, action)


def visible(user: User, model: type[ModelT]) -> Select:
    """`SELECT model` narrowed to the rows the user may see."""
    return scoped(user, select(model), model, VIEW)


def changeable(user: User, model: type[ModelT]) -> Select:
    """`SELECT model` narrowed to the rows the user may change."""
    return scoped(user, select(model), model, CHANGE)


def get_visible(user: User, model: type[ModelT], object_id, action: str = VIEW) -> ModelT | None:
    if object_id is None:
        return None
    primary_key = model.__mapper__.primary_key[0]
    try:
        object_id = primary_key.type.python_type(object_id)
    except (TypeError, ValueError):
        return None
    bits = 63 if isinstance(primary_key.type, BigInteger) else 31  # Integer is 32-bit on PostgreSQL
    if isinstance(object_id, int) and not -(2**bits) <= object_id < 2**bits:
        return None  # no database holds such an id; asking would overflow the driver
    statement = scoped(user, select(model).where(primary_key == object_id), model, action)
    return db.session.scalars(statement).first()


def get_visible_or_404(user: User, model: type[ModelT], object_id, action: str = VIEW) -> ModelT:
    """The object if the user may reach it for `action`; otherwise 404, never 403."""
    found = get_visible(user, model, object_id, action)
    if found is None:
        abort(404)
    return found


# --- Agencies and users -------------------------------------------------------------


@scope_rule(Agency)
def _agency_scope(user: User, statement: Select, action: str) -> Select:
    if user.can(Permission.MANAGE_AGENCIES):
        return statement
    if action == CHANGE:
        return statement.where(false())
    # Every user sees the agencies of the registry (names and countries), needed to share
    # records and address traces; only platform admins change them.
    return statement.where(Agency.active.is_(True))


@scope_rule(User)
def _user_scope(user: User, statement: Select, action: str) -> Select:
    if user.can(Permission.MANAGE_ALL_USERS):
        return statement
    if user.can(Permission.MANAGE_AGENCY_USERS):
        return statement.where(User.agency_id == user.agency_id)
    if action == CHANGE:
        return statement.where(User.id == user.id)
    return statement.where(User.agency_id == user.agency_id)


@scope_rule(UserSession)
def _session_scope(user: User, statement: Select, action: str) -> Select:
    # A user sees and ends its own sessions; an administrator ends them all by a change
    # of the account (deactivation, role), through the service.
    return statement.where(UserSession.user_id == user.id)


# --- Audit log ------------------------------------------------------------------------


def _audit_scope(user: User, statement: Select, action: str) -> Select:
    from registry.audit.models import AuditEvent

    if action == CHANGE:
        return statement.where(false())
    if user.can(Permission.READ_ALL_AUDIT):
        return statement
    if user.can(Permission.READ_AGENCY_AUDIT):
        return statement.where(AuditEvent.agency_id == user.agency_id)
    return statement.where(false())


def _register_audit_rule() -> None:
    from registry.audit.models import AuditEvent

    scope_rule(AuditEvent)(_audit_scope)


_register_audit_rule()


# --- The command line -----------------------------------------------------------------


class CommandLine:
    """The actor of a command run on the server (`flask reports summary`): whoever runs it
    holds the database already, so it counts every state's figures, and nothing else."""

    is_active = True
    is_authenticated = False
    id = None
    agency_id = None
    country_code = None
    role = None

    def can(self, permission: Permission) -> bool:
        return permission == Permission.READ_ALL_STATISTICS


COMMAND_LINE = CommandLine()
