"""Crisis help on check-in pages: the lines of the site's country, numbers as tel: links."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from coproduce.platform import crisis
from coproduce.platform.templatetags.plain_text import with_tel_links

register = template.Library()


def _country(context) -> str:
    """The country of the page's check-in: given, else its invitation's site, else the one the
    session kept (the database may be down), else the default."""
    if context.get("crisis_country"):
        return context["crisis_country"]
    invitation = context.get("invitation")
    if invitation is not None:
        return invitation.patient.care_team.site.country
    request = context.get("request")
    session = getattr(request, "session", None)
    try:
        kept = session.get("checkin_locale") if session is not None else None
    except Exception:  # a session store that is down must not hide crisis help
        kept = None
    return (kept or {}).get("country", "")


def tel_links(text: str) -> SafeString:
    """`text` escaped, with every crisis number in it as a tel: link."""
    return with_tel_links(text)


@register.simple_tag(takes_context=True)
def help_now(context) -> SafeString:
    """The "need help now?" line of the site's country in the page's language."""
    return format_html(
        '<p class="help-now small">{}</p>',
        tel_links(crisis.help_now(_country(context), get_language())),
    )


@register.simple_tag
def crisis_heading() -> str:
    return crisis.heading(get_language())


@register.filter
def crisis_bulleted(text: str) -> SafeString:
    """Crisis text ("- " lines become a list) with its numbers as tel: links."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    paragraphs = [line for line in lines if not line.startswith("- ")]
    items = [line[2:] for line in lines if line.startswith("- ")]
    html = format_html_join("", "<p>{}</p>", ((tel_links(p),) for p in paragraphs))
    if items:
        html += format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((tel_links(i),) for i in items))
        )
    return html
