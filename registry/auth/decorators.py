from functools import wraps

from flask import abort
from flask_login import current_user

from registry.auth.roles import Permission


def permission_required(permission: Permission):
    """The view needs `permission`; a user without it gets 403 (the page exists for
    everyone, so nothing is revealed)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
