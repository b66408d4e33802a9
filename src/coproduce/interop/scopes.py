"""SMART system scopes: `system/Observation.read`, `system/*.rs`, `system/Appointment.write`.

Both spellings SMART App Launch defines are read: v1 (`read`, `write`, `*`) and v2 (a subset
of `cruds` in that order). A client's token never holds more than the client was given, and
the client never sees more than its staff user may (the scopes narrow, never widen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_V1 = {"read": frozenset("rs"), "write": frozenset("cud"), "*": frozenset("cruds")}
_SCOPE = re.compile(r"^system/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<perms>[a-z*]+)$")
_V2 = re.compile(r"^c?r?u?d?s?$")


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    resource: str  # a resource type or "*"
    perms: frozenset[str]  # letters of "cruds"

    def covers(self, other: Scope) -> bool:
        return self.resource in ("*", other.resource) and other.perms <= self.perms


def parse_scope(text: str) -> Scope:
    """One system scope; ScopeError says what is wrong with it."""
    match = _SCOPE.match(text)
    if match is None:
        raise ScopeError(
            _("%(scope)s is not a system scope (e.g. system/Observation.read).") % {"scope": text}
        )
    perms = match["perms"]
    if perms in _V1:
        return Scope(match["type"], _V1[perms])
    if perms and _V2.match(perms):
        return Scope(match["type"], frozenset(perms))
    raise ScopeError(
        _("%(scope)s: the permission must be read, write, * or letters of cruds in order.")
        % {"scope": text}
    )


def parse_scopes(text: str) -> list[Scope]:
    return [parse_scope(part) for part in text.split()]


def allowed_scope(held: str, requested: str) -> str:
    """The requested scopes (space-separated) that the held ones cover; others are dropped."""
    have = parse_scopes(held)
    granted = []
    for part in requested.split():
        try:
            wanted = parse_scope(part)
        except ScopeError:
            continue
        if any(h.covers(wanted) for h in have) and part not in granted:
            granted.append(part)
    return " ".join(granted)


def permits(held: str, resource: str, perm: str) -> bool:
    """Whether the scopes allow `perm` (one of c, r, u, d, s) on `resource`."""
    wanted = Scope(resource, frozenset(perm))
    return any(h.covers(wanted) for h in parse_scopes(held))
