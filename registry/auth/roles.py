"""Roles (docs/architecture.md, Scoping) and what each may do. Views and services ask for a
permission, never for a role name."""

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    VIEWER = "viewer"
    OFFICER = "officer"
    TRACING_OFFICER = "tracing_officer"
    SUPERVISOR = "supervisor"
    AGENCY_ADMIN = "agency_admin"
    PLATFORM_ADMIN = "platform_admin"

    @property
    def label(self):
        return ROLE_LABELS[self]

    @property
    def rank(self) -> int:
        """Place in the hierarchy: viewer lowest, platform admin highest."""
        return list(Role).index(self)


ROLE_LABELS = {
    Role.VIEWER: _l("Viewer"),
    Role.OFFICER: _l("Officer"),
    Role.TRACING_OFFICER: _l("Tracing officer"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENCY_ADMIN: _l("Agency administrator"),
    Role.PLATFORM_ADMIN: _l("Platform administrator"),
}


class Permission(enum.StrEnum):
    READ_RECORDS = "read_records"
    WRITE_RECORDS = "write_records"
    IMPORT_RECORDS = "import_records"
    DELETE_RECORDS = "delete_records"
    SEND_TRACES = "send_traces"
    ANSWER_TRACES = "answer_traces"
    APPROVE = "approve"
    MANAGE_AGENCY_USERS = "manage_agency_users"
    MANAGE_ALL_USERS = "manage_all_users"
    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_REFERENCE = "manage_reference"
    READ_AGENCY_AUDIT = "read_agency_audit"
    READ_ALL_AUDIT = "read_all_audit"
    # Figures (counts, never records) of every state of the registry, side by side.
    READ_ALL_STATISTICS = "read_all_statistics"


_OFFICER = {Permission.READ_RECORDS, Permission.WRITE_RECORDS, Permission.IMPORT_RECORDS}
_TRACING = _OFFICER | {Permission.SEND_TRACES, Permission.ANSWER_TRACES}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ_RECORDS}),
    Role.OFFICER: frozenset(_OFFICER),
    Role.TRACING_OFFICER: frozenset(_TRACING),
    # Supervisors answer for their agency's work: they read its audit log.
    Role.SUPERVISOR: frozenset(_TRACING | {Permission.APPROVE, Permission.DELETE_RECORDS,
                                           Permission.READ_AGENCY_AUDIT}),
    Role.AGENCY_ADMIN: frozenset(
        {Permission.READ_RECORDS, Permission.MANAGE_AGENCY_USERS, Permission.READ_AGENCY_AUDIT}
    ),
    Role.PLATFORM_ADMIN: frozenset(
        {
            Permission.READ_RECORDS,
            Permission.MANAGE_AGENCY_USERS,
            Permission.MANAGE_ALL_USERS,
            Permission.MANAGE_AGENCIES,
            Permission.MANAGE_REFERENCE,
            Permission.READ_AGENCY_AUDIT,
            Permission.READ_ALL_AUDIT,
            Permission.READ_ALL_STATISTICS,
        }
    ),
}
