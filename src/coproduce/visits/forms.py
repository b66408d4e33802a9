"""The visit record form: the team's agenda items and the four steps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduce.visits.models import VisitRecord
from coproduce.visits.records import COMMENT_MAX_CHARS, EDITABLE_FIELDS


class VisitRecordForm(forms.ModelForm):
    class Meta:
        model = VisitRecord
        fields = EDITABLE_FIELDS
        labels = {"team_agenda": "The care team's items (one per line)"}
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in EDITABLE_FIELDS}


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The care team reads comments; a comment cannot be changed once sent."),
    )
