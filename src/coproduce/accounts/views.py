"""Second-factor pages, the security page, "log out everywhere" and password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coproduce.accounts import mfa, reset
from coproduce.accounts.forms import CodeForm, ResetRequestForm
from coproduce.accounts.middleware import mfa_exempt
from coproduce.people.auth import client_ip


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "home"


@mfa_exempt
@login_required
def mfa_setup(request):
    # Replacing an enrolled authenticator needs the old one first (or a registry admin's reset).
    if mfa.is_enrolled(request) and not mfa.is_verified(request):
        return redirect("accounts:mfa-verify")
    device = mfa.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_device(request, device, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error("code", _("That code is not right. Enter the 6 digits the app shows now."))
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr": mfa.qr_svg(device),
            "secret": _base32(device),
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


def _base32(device) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@mfa_exempt
@login_required
def mfa_verify(request):
    if not mfa.is_enrolled(request):
        return redirect("accounts:mfa-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error(
            "code",
            _(
                "That code is not right. Enter the 6 digits your app shows now, "
                "or one of your recovery codes."
            ),
        )
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@login_required
def security(request):
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": mfa.is_enrolled(request),
            "by_provider": request.session.get(mfa.PROVIDER_KEY),
        },
    )


@require_POST
@login_required
def renew_recovery_codes(request):
    if not mfa.is_enrolled(request):
        return redirect("accounts:mfa-setup")
    codes = mfa.renew_recovery_codes(request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "home"})


@mfa_exempt
@require_POST
@login_required
def log_out_everywhere(request):
    mfa.log_out_everywhere(request)
    messages.info(request, _("You are logged out on every device and browser."))
    return redirect("login")


@mfa_exempt
def password_reset(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            reset.request_reset(form.cleaned_data["identifier"], ip=client_ip(request))
        return redirect("accounts:password-reset-sent")
    status = 400 if form.errors else 200
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


@mfa_exempt
def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


@method_decorator(mfa_exempt, name="dispatch")
class PasswordResetConfirm(PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            reset.after_reset(form.user, ip=client_ip(self.request))
        messages.success(self.request, _("Your password is changed. Log in with the new one."))
        return response
