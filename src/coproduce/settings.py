"""Django settings for coproduce, read from the environment (see the README)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from coproduce.conf import (
    env_bool,
    env_choice,
    env_date,
    env_int,
    env_list,
    env_secret,
    env_str,
)
from coproduce.platform.crisis import COUNTRIES as CRISIS_COUNTRIES
from coproduce.platform.mail import SMTP_BACKEND, mail_settings

BASE_DIR = Path(__file__).resolve().parent

# "production" is the default so that forgetting to configure never yields an unsafe server.
MODE = env_choice("COPRODUCE_MODE", "production", ("production", "demo", "test"))
RELAXED = MODE in ("demo", "test")

DEBUG = env_bool("COPRODUCE_DEBUG", default=False)
if DEBUG and not RELAXED:
    # Debug pages show settings, SQL and stack frames full of patient data to anyone.
    raise ImproperlyConfigured(
        "COPRODUCE_DEBUG=true is refused in production: debug pages expose patient data. "
        "Unset it (or use COPRODUCE_MODE=demo on a machine with invented data only)."
    )
PUBLIC_INSECURE_KEY = "insecure-demo-and-test-only-key-never-use-in-production"
SECRET_KEY = env_secret(
    "COPRODUCE_SECRET_KEY", insecure_fallback=PUBLIC_INSECURE_KEY if RELAXED else None
)
if SECRET_KEY == PUBLIC_INSECURE_KEY and not RELAXED:
    raise ImproperlyConfigured(
        "COPRODUCE_SECRET_KEY is the public demo/test key: anyone could forge sessions. "
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# Pseudonymous study IDs and per-participant date shifts in research exports are keyed
# hashes with this key (research/deid.py). It is its own secret so that rotating
# SECRET_KEY (sessions, tokens) does not change every export's IDs and dates.
PUBLIC_INSECURE_PSEUDONYM_KEY = "insecure-demo-and-test-only-pseudonym-key-not-for-real-data"
COPRODUCE_PSEUDONYM_KEY = env_secret(
    "COPRODUCE_PSEUDONYM_KEY", insecure_fallback=PUBLIC_INSECURE_PSEUDONYM_KEY if RELAXED else None
)
if not RELAXED and COPRODUCE_PSEUDONYM_KEY in (PUBLIC_INSECURE_PSEUDONYM_KEY, SECRET_KEY):
    raise ImproperlyConfigured(
        "COPRODUCE_PSEUDONYM_KEY must be its own secret (not the demo key, not SECRET_KEY)."
    )
ALLOWED_HOSTS = env_list(
    "COPRODUCE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if RELAXED else []
)
CSRF_TRUSTED_ORIGINS = env_list("COPRODUCE_CSRF_TRUSTED_ORIGINS", [])

# Django 6 ships django.tasks; on Django 5.2 (Python 3.11) the django-tasks backport
# provides the same API under django_tasks.
TASKS_PACKAGE = "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"
TASKS_APPS = (
    ["django_tasks_db"] if TASKS_PACKAGE == "django.tasks" else ["django_tasks", "django_tasks_db"]
)

VAR_DIR = Path(env_str("COPRODUCE_VAR_DIR") or Path.cwd() / "var").resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *TASKS_APPS,
    "coproduce.platform",
    "coproduce.people",
    "coproduce.audit",
    "coproduce.instruments",
    "coproduce.checkins",
    "coproduce.safetynet",
    "coproduce.visits",
    "coproduce.careplans",
    "coproduce.registry",
    "coproduce.research",
    "coproduce.interop",
    "coproduce.web",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # After django-otp's apps: its admin unregisters theirs (they would show secrets).
    "coproduce.accounts",
    "csp",
    # Listed so the API docs page uses ninja's own templates and static files, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "coproduce.accounts.middleware.NoStoreMiddleware",
    "coproduce.audit.middleware.RequestIdMiddleware",
    # Outside the rest so that even an error page from below becomes an OperationOutcome.
    "coproduce.interop.fhir_http.FhirErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "coproduce.web.errors.LostSessionMiddleware",
    # Language from the cookie the language switch sets, else the browser's Accept-Language;
    # no URL prefixes (check-in links and /fhir/R4/ keep their form).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A logged-in person reads in the language saved on their account (a patient: their
    # preferred language), above the cookie and the browser.
    "coproduce.people.middleware.UserLanguageMiddleware",
    "coproduce.people.middleware.ClinicTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coproduce.people.middleware.StaffIdleTimeoutMiddleware",
    "coproduce.accounts.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "coproduce.urls"
WSGI_APPLICATION = "coproduce.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coproduce.web.context.site_chrome",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL")
    if url:
        max_age = env_int("COPRODUCE_DB_CONN_MAX_AGE", 60, minimum=0)
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=max_age))
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "coproduce.sqlite3"),
        }
    if config["ENGINE"].endswith("postgresql"):
        # Only our own hot statements (platform.batch.prepared_cursor) are prepared: Django's
        # cursors bind on the client and never are. Off for poolers that cannot keep them.
        prepare = env_bool("COPRODUCE_DB_PREPARED_STATEMENTS", True)
        config.setdefault("OPTIONS", {})["prepare_threshold"] = 5 if prepare else None
        # A worker's liveness check must answer, not hang, when the database is unreachable.
        config["OPTIONS"].setdefault(
            "connect_timeout", env_int("COPRODUCE_DB_CONNECT_TIMEOUT", 10, minimum=1)
        )
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets the worker and the web process read while the other writes;
        # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    # Hashing cost is not what the suite tests; Argon2 stays the production hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = (
    []
    if RELAXED
    else [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        },
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
)
# A reset link works once (its token signs the password hash) and for this long.
PASSWORD_RESET_TIMEOUT = env_int("COPRODUCE_PASSWORD_RESET_MINUTES", 60, minimum=5) * 60
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (coproduce.accounts.login): failures counted in the database so every web
# process sees them. Per account and address: a few free failures, then doubling delays.
# Per address: a limit over all accounts. Per account from all addresses: past the limit the
# password alone is not enough (a second factor still lets its owner in).
LOGIN_FREE_FAILURES = env_int("COPRODUCE_LOGIN_FREE_FAILURES", 3, minimum=1)
LOGIN_MAX_DELAY_SECONDS = env_int("COPRODUCE_LOGIN_MAX_DELAY_SECONDS", 300, minimum=1)
LOGIN_MAX_FAILURES_PER_USERNAME = env_int("COPRODUCE_LOGIN_MAX_FAILURES", 10, minimum=1)
LOGIN_MAX_FAILURES_PER_IP = env_int("COPRODUCE_LOGIN_MAX_FAILURES_PER_IP", 30, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("COPRODUCE_LOGIN_WINDOW_MINUTES", 15, minimum=1)

# Staff sessions end after inactivity; patients keep theirs for a day.
STAFF_IDLE_TIMEOUT_MINUTES = env_int("COPRODUCE_STAFF_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = env_int("COPRODUCE_SESSION_SECONDS", 24 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("COPRODUCE_SECURE_COOKIES", default=not RELAXED)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("COPRODUCE_SSL_REDIRECT", default=False)
# HSTS is sent only over HTTPS (Django checks request.is_secure()); a year by default in
# production so a browser never again tries the clinic's address over plain HTTP.
SECURE_HSTS_SECONDS = env_int("COPRODUCE_HSTS_SECONDS", 0 if RELAXED else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("COPRODUCE_HSTS_SUBDOMAINS", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("COPRODUCE_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from our own static files, styles from
# our files or a <style> carrying this response's nonce; nothing may frame us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Second factor for staff (django-otp): required in production, optional in demo and test.
STAFF_MFA = env_choice(
    "COPRODUCE_STAFF_MFA", "optional" if RELAXED else "required", ("required", "optional")
)
OTP_TOTP_ISSUER = env_str("COPRODUCE_TOTP_ISSUER", "coproduce")

# Single sign-on for staff (OpenID Connect, mozilla-django-oidc); off unless a client ID is
# set. See docs/security.md for Entra ID, Okta and Keycloak.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
OIDC_RP_CLIENT_ID = env_str("COPRODUCE_OIDC_CLIENT_ID", "") or ""
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("coproduce.accounts.oidc.StaffOIDCBackend")
OIDC_RP_CLIENT_SECRET = env_str("COPRODUCE_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("COPRODUCE_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("COPRODUCE_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("COPRODUCE_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("COPRODUCE_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = env_str("COPRODUCE_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("COPRODUCE_OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_CREATE_USER = True
LOGIN_REDIRECT_URL_FAILURE = "/login/"
COPRODUCE_OIDC_ISSUER = env_str("COPRODUCE_OIDC_ISSUER", "") or ""
if OIDC_RP_CLIENT_ID and not COPRODUCE_OIDC_ISSUER and not RELAXED:
    raise ImproperlyConfigured("COPRODUCE_OIDC_ISSUER must be set when single sign-on is on.")
COPRODUCE_OIDC_BUTTON = env_str("COPRODUCE_OIDC_BUTTON", "") or ""
# When the provider's ID token reports a second factor in `amr` (RFC 8176), let it stand
# for coproduce's own second factor.
COPRODUCE_OIDC_AMR_SATISFIES_MFA = env_bool("COPRODUCE_OIDC_AMR_SATISFIES_MFA", default=False)
COPRODUCE_OIDC_MFA_AMR = env_list("COPRODUCE_OIDC_MFA_AMR", ["mfa", "otp", "hwk", "sc"])

LANGUAGE_CODE = "en"
# Each language in its own name: the switch lists them so their readers find them.
LANGUAGES = [("en", "English"), ("es", "Español"), ("sv", "Svenska")]
# One project catalogue (`make messages`); the compiled .mo files are committed so a machine
# without GNU gettext serves the translations.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "coproduce_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Crisis help for a site without a country (ISO 3166-1 alpha-2; see platform/crisis.py).
COPRODUCE_DEFAULT_COUNTRY = env_choice(
    "COPRODUCE_DEFAULT_COUNTRY", "se", tuple(c.lower() for c in CRISIS_COUNTRIES)
).upper()
TIME_ZONE = env_str("COPRODUCE_TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if RELAXED
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Demo and tests serve static files straight from the apps; production runs collectstatic.
WHITENOISE_USE_FINDERS = RELAXED
WHITENOISE_AUTOREFRESH = RELAXED

TASKS = {
    "default": {
        "BACKEND": (
            f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"
            if env_bool("COPRODUCE_TASKS_IMMEDIATE", default=False)
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Tests keep mail in memory unless told otherwise (a test that starts a worker process sets
# COPRODUCE_EMAIL_BACKEND to deliver to its own SMTP server: tests/smtp.py).
globals().update(
    mail_settings(
        env_str(
            "COPRODUCE_EMAIL_BACKEND",
            {
                "demo": "django.core.mail.backends.console.EmailBackend",
                "test": "django.core.mail.backends.locmem.EmailBackend",
            }.get(MODE, SMTP_BACKEND),
        ),
        host=env_str("COPRODUCE_EMAIL_HOST", "localhost"),
        port=env_int("COPRODUCE_EMAIL_PORT", 25),
        username=env_str("COPRODUCE_EMAIL_USER", ""),
        password=env_str("COPRODUCE_EMAIL_PASSWORD", ""),
        use_tls=env_bool("COPRODUCE_EMAIL_TLS", default=False),
        # Without a timeout a mail server that stops answering would hold a sender (and its
        # claimed notifications) for ever.
        timeout=env_int("COPRODUCE_EMAIL_TIMEOUT", 30, minimum=1),
    )
)  # MAILERS on Django 6.1, the EMAIL_* settings on 5.2 (platform/mail.py)
DEFAULT_FROM_EMAIL = env_str("COPRODUCE_FROM_EMAIL", "coproduce@localhost")
# The outbox: rows per claim (one SMTP connection each) and sender threads per worker.
COPRODUCE_OUTBOX_BATCH = env_int("COPRODUCE_OUTBOX_BATCH", 20, minimum=1)
COPRODUCE_OUTBOX_SENDERS = env_int("COPRODUCE_OUTBOX_SENDERS", 4, minimum=1)

# Links in invitations point here. Production must say where it is reachable: a link to
# localhost in a patient's e-mail would fail silently.
_base_url = env_str("COPRODUCE_BASE_URL")
if not _base_url and not RELAXED:
    raise ImproperlyConfigured(
        "COPRODUCE_BASE_URL is not set: give the public address patients reach, "
        "e.g. https://care.example.org"
    )
if _base_url and not _base_url.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"COPRODUCE_BASE_URL={_base_url!r} must start with https://.")
COPRODUCE_BASE_URL = (_base_url or "http://127.0.0.1:8000").rstrip("/")
# Run the application clock as of another day (demo and test only; `coproduce demo --today`
# sets it for the server and the worker it starts). Production always runs on the real time.
COPRODUCE_TODAY = env_date("COPRODUCE_TODAY")
if COPRODUCE_TODAY and not RELAXED:
    raise ImproperlyConfigured("COPRODUCE_TODAY is for the demo and tests only; unset it.")
# Text messages: a dotted path to a backend class (see docs/checkins.md); empty = by mode.
COPRODUCE_SMS_BACKEND = env_str("COPRODUCE_SMS_BACKEND", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("COPRODUCE_LOG_LEVEL", "WARNING")},
}
