"""Template helpers for incentive amounts and the patient's statement card."""

from __future__ import annotations

from django import template

from coproduce.research import incentives

register = template.Library()


@register.filter
def money(cents: int, currency: str = "USD") -> str:
    """Integer cents in the active language's currency format."""
    return incentives.money(int(cents or 0), currency or "USD")


@register.inclusion_tag("research/incentives/_my_card.html")
def my_incentives(patient) -> dict:
    """A card with this year's total for a study participant (nothing for anyone else)."""
    return {
        "statement": incentives.statement(patient=patient) if incentives.is_paid(patient) else None
    }
