"""show_service_error: a service's refusal on the page's form, or in the page's error summary."""

from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory

from coproduce.platform.http import show_service_error


class DoseForm(forms.Form):
    dose = forms.CharField(label="Dose")


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _summary(request, form=None) -> str:
    return render_to_string(
        "platform/_error_summary.html", {"form": form, "messages": request._messages}
    )


def test_it_puts_each_message_beside_the_field_it_names_and_the_rest_above():
    request = _request()
    form = DoseForm({"dose": "5"})
    assert form.is_valid()
    show_service_error(
        request, ValidationError({"dose": "Too high a step.", "when": "Not before Monday."}), form
    )
    assert form.errors == {"dose": ["Too high a step."], "__all__": ["Not before Monday."]}
    html = _summary(request, form)
    assert "Please check" in html and "Dose: Too high a step." in html
    assert "<li>Not before Monday.</li>" in html


def test_without_a_form_it_says_nothing_was_changed_and_why():
    request = _request()
    show_service_error(request, ValidationError(["Already acknowledged.", "Reload the page."]))
    html = _summary(request)
    assert 'role="alert"' in html and "Nothing was changed" in html
    assert "<p>Already acknowledged. Reload the page.</p>" in html


def test_an_error_message_that_is_no_refusal_has_no_nothing_was_changed():
    from django.contrib import messages

    request = _request()
    messages.error(request, "Your hospital account has no role yet.")
    html = _summary(request)
    assert "Your hospital account has no role yet." in html
    assert "Nothing was changed" not in html
