"""Forms of the sign-in pages (second factor, password reset)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        error_messages={"required": _("Enter the code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username, e-mail address or mobile number"),
        max_length=254,
        error_messages={"required": _("Enter your username, e-mail address or mobile number.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
