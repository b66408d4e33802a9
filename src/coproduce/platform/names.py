"""Names a site gives its own things (care teams, programs), in each of its languages.

Code's words are translated in the catalogues; a team's or a program's name is the clinic's
data, so its other languages are kept beside it: `names = {"es": "...", "sv": "..."}`, edited
in the admin ("Name in Español", ...). `shown_name` is the name in the active language (a
regional variant such as es-mx falls back to es), else `name`, which is in the site's
working language. Nothing is machine-translated: a missing name shows as entered.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from coproduce.platform.text import clean_text


def other_languages() -> list[tuple[str, str]]:
    """(code, name) of every language offered but the default one."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class NamedInLanguages(models.Model):
    """Abstract: `names`, the model's `name` in other languages, and `shown_name`."""

    names = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def shown_name(self) -> str:
        language = (translation.get_language() or "").lower()
        names = self.names or {}
        name: str = self.name  # type: ignore[attr-defined]
        return names.get(language) or names.get(language.split("-")[0]) or name

    def clean(self) -> None:
        """Keep only offered languages and text (spaces collapsed); errors name the language
        (not keyed on `names`, which the admin form shows as one field per language)."""
        super().clean()
        offered = dict(other_languages())
        limit = self._meta.get_field("name").max_length  # type: ignore[union-attr]
        if not isinstance(self.names, dict):
            raise ValidationError(_("Names in other languages must be a mapping."))
        cleaned: dict[str, str] = {}
        for code, value in self.names.items():
            if code not in offered:
                raise ValidationError(
                    _("“%(code)s” is not a language this system offers.") % {"code": code}
                )
            if not isinstance(value, str):
                raise ValidationError(
                    _("The %(language)s name must be text.") % {"language": offered[code]}
                )
            value = " ".join(clean_text(value).split())
            if limit and len(value) > limit:
                raise ValidationError(
                    _("The %(language)s name is longer than %(limit)d characters.")
                    % {"language": offered[code], "limit": limit}
                )
            if value:
                cleaned[code] = value
        self.names = cleaned


def names_form(model: type[models.Model]) -> type[forms.ModelForm]:
    """A ModelForm for `model` with one "Name in <language>" field per other language, kept in
    its `names` (give the admin `exclude = ("names",)`)."""
    limit = model._meta.get_field("name").max_length  # type: ignore[union-attr]
    declared: dict[str, Any] = {
        f"name_{code}": forms.CharField(
            label=format_lazy(_("Name in {language}"), language=language),
            required=False,
            max_length=limit,
            help_text=format_lazy(
                _("Shown to people who read in {language}; left empty, they see the name above."),
                language=language,
            ),
        )
        for code, language in other_languages()
    }

    def __init__(self: forms.ModelForm, *args: Any, **kwargs: Any) -> None:
        forms.ModelForm.__init__(self, *args, **kwargs)
        for code, _language in other_languages():
            self.initial.setdefault(f"name_{code}", (self.instance.names or {}).get(code, ""))

    def clean(self: forms.ModelForm) -> dict[str, Any]:
        data = forms.ModelForm.clean(self) or {}
        self.instance.names = {
            code: data.get(f"name_{code}") or "" for code, _language in other_languages()
        }
        return data

    meta = type("Meta", (), {"model": model, "exclude": ["names"]})
    return type(
        f"{model.__name__}NamesForm",
        (forms.ModelForm,),
        {**declared, "Meta": meta, "__init__": __init__, "clean": clean},
    )
