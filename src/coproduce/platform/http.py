"""HTTP helpers every app may use: role-restricted views, and the one way a page shows what a
service refused."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, JsonResponse

# Machine clients (the JSON API, the FHIR server) get a refusal they can read, never a
# redirect to an HTML page.
API_PREFIXES = ("/api/", "/fhir/")

# The tag of an error message that says a service refused an action: the error summary then
# says that nothing was changed (the caller's transaction was rolled back).
REFUSED = "refused"


def role_required(*roles: str):
    """Allow only the given roles; anyone else gets a 404, like a page that does not exist."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404("Not found.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def show_service_error(
    request: HttpRequest,
    error: ValidationError | Exception | str,
    form: BaseForm | None = None,
    *,
    refused: bool = True,
) -> None:
    """Show what a service refused or could not do in the page's error summary
    (`platform/_error_summary.html`), whether the view draws the page again or redirects.

    `error` is a ValidationError, another exception of a service (its `message()` when it
    has one, for a person to read, else its text) or the text itself. With the form the page
    draws again, each message goes beside the field it names (the rest above the form);
    otherwise the messages become one error message, shown by the summary on the next page
    drawn: this one, or the one a redirect leads to. `refused=False` for a fault that is not
    a refused change (a total that cannot be computed): the summary then does not say that
    nothing was changed.
    """
    if form is not None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif form is not None:
        form.add_error(None, _texts(error))
    else:
        messages.error(request, " ".join(_texts(error)), extra_tags=REFUSED if refused else "")


def _texts(error: ValidationError | Exception | str) -> list[str]:
    if isinstance(error, str):
        return [error]
    if isinstance(error, ValidationError):
        return list(error.messages)
    shown = getattr(error, "message", None)
    return [str(shown() if callable(shown) else error)]


def is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or request.path == "/fhir/R4"


def machine_refusal(message: str, status: int) -> JsonResponse:
    """A refusal for a machine client: `{"detail": message}` as the JSON API answers; under
    /fhir/R4/ interop's FhirErrorMiddleware turns it into an OperationOutcome."""
    return JsonResponse({"detail": message}, status=status)
