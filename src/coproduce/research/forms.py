"""Forms of the research pages a participant fills in; the services check the answers, the
forms carry their errors back to the fields (platform.http.show_service_error)."""

from __future__ import annotations

from typing import Any

from django import forms


class ConsentSignForm(forms.Form):
    """Signing a consent document: `consent.sign` decides what is missing."""

    agreed = forms.BooleanField(required=False)
    typed_name = forms.CharField(required=False, strip=False)


class SurveyAnswersForm(forms.Form):
    """A panel survey's answers, one field per question: `panel.submit` checks them."""

    def __init__(self, data: Any, questions: list[dict[str, Any]]):
        super().__init__(data)
        for question in questions:
            self.fields[question["id"]] = forms.CharField(required=False, strip=False)
