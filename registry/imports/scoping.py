"""Who reaches which import: the people of the uploading agency who import or approve.
An import holds the agency's raw field data: no other agency, no other country sees it."""

from sqlalchemy import Select, false, select

from registry.auth.models import User
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, scope_rule
from registry.imports.models import Import, ImportRow


def _allowed(user: User, action: str) -> bool:
    if action == CHANGE:
        return user.can(Permission.IMPORT_RECORDS)
    return user.can(Permission.IMPORT_RECORDS) or user.can(Permission.APPROVE)


@scope_rule(Import)
def _import_scope(user: User, statement: Select, action: str) -> Select:
    if not _allowed(user, action):
        return statement.where(false())
    return statement.where(Import.agency_id == user.agency_id)


@scope_rule(ImportRow)
def _import_row_scope(user: User, statement: Select, action: str) -> Select:
    if not _allowed(user, action):
        return statement.where(false())
    return statement.where(ImportRow.import_id.in_(
        select(Import.id).where(Import.agency_id == user.agency_id)))
