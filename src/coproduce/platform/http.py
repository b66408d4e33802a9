"""HTTP helpers every app may use: role-restricted views."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def role_required(*roles: str):
    """Allow only the given roles; anyone else gets a 404, like a page that does not exist."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404("Not found.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
