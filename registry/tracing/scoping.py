"""Who sees a trace request: the users of the requesting and the requested countries, no one
else (docs/trace-workflow.md). Changes are further limited by side and role in the workflow.
Until it is sent, a request (a draft, or one awaiting its supervisor's approval) is the
requesting state's alone: the requested state does not see it anywhere."""

from sqlalchemy import Select, and_, false, or_

from registry.auth.models import User
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, STATISTICS, scope_rule
from registry.tracing.models import TraceRequest


@scope_rule(TraceRequest)
def trace_request_scope(user: User, statement: Select, action: str) -> Select:
    if action == STATISTICS and user.can(Permission.READ_ALL_STATISTICS):
        return statement
    if not user.can(Permission.READ_RECORDS):
        return statement.where(false())
    if action == CHANGE:
        # Only the two agencies act on a request; other agencies of the two countries read it.
        return statement.where(or_(TraceRequest.requesting_agency_id == user.agency_id,
                                   and_(TraceRequest.requested_agency_id == user.agency_id,
                                        TraceRequest.sent_at.is_not(None))))
    country = user.country_code
    return statement.where(or_(TraceRequest.requesting_country_code == country,
                               and_(TraceRequest.requested_country_code == country,
                                    TraceRequest.sent_at.is_not(None))))
