"""mozilla-django-oidc's routes (named as the library expects), answering 404 while off."""

from django.http import Http404
from django.urls import path
from mozilla_django_oidc import views

from coproduce.accounts import oidc
from coproduce.accounts.middleware import mfa_exempt


def _only_when_enabled(view_class):
    inner = view_class.as_view()

    def view(request, *args, **kwargs):
        if not oidc.enabled():
            raise Http404("Single sign-on is not set up.")
        return inner(request, *args, **kwargs)

    return mfa_exempt(view)


urlpatterns = [
    path(
        "callback/",
        _only_when_enabled(views.OIDCAuthenticationCallbackView),
        name="oidc_authentication_callback",
    ),
    path(
        "authenticate/",
        _only_when_enabled(views.OIDCAuthenticationRequestView),
        name="oidc_authentication_init",
    ),
]
