"""Who sees which weapon records and hits (registered with registry.auth.scoping).

A user sees its own country's records, and other states' records shared with "all" or
with "partners" when the owning agency lists the user's country among its partners.
Deleted records are seen by nobody, except the supervisors of their own agency through
the DELETED action. Changes are for the owning agency's officers, deletion for its
supervisors.
"""

from sqlalchemy import Select, and_, false, or_, select

from registry.auth.models import AgencyPartner, User
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, STATISTICS, scope_rule
from registry.weapons.models import Hit, Sharing, Weapon, WeaponChange, WeaponPhoto

# Action for the supervisors' view of deleted records of their own country.
DELETED = "deleted"


def shared_with(country_code: str):
    """The condition 'this record may be seen from `country_code`' (deletion aside)."""
    partner_agencies = select(AgencyPartner.agency_id).where(AgencyPartner.country_code == country_code)
    return or_(
        Weapon.country_code == country_code,
        Weapon.sharing == Sharing.ALL,
        and_(Weapon.sharing == Sharing.PARTNERS, Weapon.agency_id.in_(partner_agencies)),
    )


def weapon_condition(user: User, action: str):
    if action == DELETED:
        if not user.can(Permission.DELETE_RECORDS):
            return false()
        return and_(Weapon.agency_id == user.agency_id, Weapon.deleted_at.is_not(None))
    if action == STATISTICS:
        if user.can(Permission.READ_ALL_STATISTICS):
            return Weapon.deleted_at.is_(None)
        if not user.can(Permission.READ_RECORDS):
            return false()
        return and_(Weapon.country_code == user.country_code, Weapon.deleted_at.is_(None))
    if action == CHANGE:
        if not user.can(Permission.WRITE_RECORDS):
            return false()
        return and_(Weapon.agency_id == user.agency_id, Weapon.deleted_at.is_(None))
    if not user.can(Permission.READ_RECORDS):
        return false()
    return and_(Weapon.deleted_at.is_(None), shared_with(user.country_code))


@scope_rule(Weapon)
def _weapon_scope(user: User, statement: Select, action: str) -> Select:
    return statement.where(weapon_condition(user, action))


@scope_rule(WeaponPhoto)
def _photo_scope(user: User, statement: Select, action: str) -> Select:
    # Another state sees the photos the owner marked shareable only (registry.weapons.sharing).
    condition = weapon_condition(user, action)
    if action != CHANGE:
        condition = and_(condition, or_(Weapon.country_code == user.country_code, WeaponPhoto.shareable))
    return statement.join(Weapon, WeaponPhoto.weapon_id == Weapon.id).where(condition)


@scope_rule(WeaponChange)
def _change_scope(user: User, statement: Select, action: str) -> Select:
    # A record's history, with the names of who changed it, stays with its own state.
    if action == CHANGE:
        return statement.where(false())
    return (statement.join(Weapon, WeaponChange.weapon_id == Weapon.id)
            .where(weapon_condition(user, action), Weapon.country_code == user.country_code))


@scope_rule(Hit)
def _hit_scope(user: User, statement: Select, action: str) -> Select:
    # A hit concerns two agencies: the one that searched or recorded, and the owner.
    if not user.can(Permission.READ_RECORDS):
        return statement.where(false())
    if action == CHANGE and not user.can(Permission.WRITE_RECORDS):
        return statement.where(false())
    return statement.where(or_(Hit.owner_agency_id == user.agency_id,
                               Hit.searcher_agency_id == user.agency_id))
