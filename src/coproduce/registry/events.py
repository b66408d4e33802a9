"""Audit event kinds written by the registry."""

EVENTS = {
    "registry.pdsa.added": "A PDSA change was annotated on a measure's charts.",
}
