from django.urls import path

from coproduce.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.security, name="security"),
    path("account/second-factor/setup/", views.mfa_setup, name="mfa-setup"),
    path("account/second-factor/", views.mfa_verify, name="mfa-verify"),
    path("account/recovery-codes/", views.renew_recovery_codes, name="recovery-codes"),
    path("account/logout-everywhere/", views.log_out_everywhere, name="logout-everywhere"),
    path("account/password-reset/", views.password_reset, name="password-reset"),
    path("account/password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path(
        "account/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
]
