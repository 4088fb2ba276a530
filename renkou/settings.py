"""Renkou settings: one file, configured by RENKOU_* environment variables.

SQLite under RENKOU_DATA_DIR is the embedded default; DATABASE_URL switches to PostgreSQL.
RENKOU_ENV=production turns on the hardened profile (secure cookies, HSTS, CSP, mandatory TOTP).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


RENKOU_ENV = env("RENKOU_ENV", "development")
PRODUCTION = RENKOU_ENV == "production"
DATA_DIR = Path(env("RENKOU_DATA_DIR", str(Path.cwd() / "var"))).resolve()

if PRODUCTION and not env("RENKOU_SECRET_KEY"):
    raise RuntimeError("RENKOU_SECRET_KEY must be set when RENKOU_ENV=production")
SECRET_KEY = env(
    "RENKOU_SECRET_KEY", "renkou-development-only-key-not-for-production-use-0123456789"
)
DEBUG = env_bool("RENKOU_DEBUG", default=False)
ALLOWED_HOSTS = env_list("RENKOU_ALLOWED_HOSTS", "127.0.0.1,localhost" if PRODUCTION else "*")
CSRF_TRUSTED_ORIGINS = env_list("RENKOU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "renkou.web",
    "renkou.core",
    "renkou.registry",
    "renkou.simulate",
    "renkou.policy",
    "renkou.births",
    "renkou.benefits",
    "renkou.analytics",
    "renkou.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "renkou.core.middleware.SecondFactorMiddleware",
    "renkou.core.middleware.ApiOnlyAccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "renkou.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "renkou.urls"
WSGI_APPLICATION = "renkou.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renkou.core.context_processors.renkou",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "renkou.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
                # timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                ),
            },
            "TEST": {"NAME": env("RENKOU_TEST_SQLITE_NAME") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background tasks (django-tasks, database backend) ------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The largest bank result file accepted (docs/benefits.md): a line is about 90 bytes, so the
# default 5 MiB is some 55,000 lines, above the largest district payroll.
RENKOU_BANK_FILE_MAX_BYTES = int(env("RENKOU_BANK_FILE_MAX_BYTES", str(5 * 1024 * 1024)))

# --- authentication and security --------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "renkou.core.backends.RoleBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "renkou.core.validators.CharacterClassValidator"},
    {"NAME": "renkou.core.validators.NotUsernameValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle expiry: the cookie is renewed on every request and dies after 30 quiet minutes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Sign-in lockout (renkou/core/lockout.py, docs/operations.md): 5 failures of one account from
# one address lock that account from that address (not elsewhere: nobody can lock an account
# out from outside, and one person's typos do not lock a whole township office behind one NAT
# address); 20 failures from one address over any accounts lock that address (spraying).
AXES_FAILURE_LIMIT = int(env("RENKOU_LOGIN_FAILURE_LIMIT", "5"))
RENKOU_LOGIN_ADDRESS_FAILURE_LIMIT = int(env("RENKOU_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "renkou.core.lockout.RenkouAxesHandler"
# The client's address: REMOTE_ADDR, or behind RENKOU_TRUSTED_PROXIES reverse proxies the
# address the outermost of them saw (X-Forwarded-For, read from the right). The production
# profile trusts one proxy (it already trusts the proxy's X-Forwarded-Proto).
RENKOU_TRUSTED_PROXIES = int(env("RENKOU_TRUSTED_PROXIES", "1" if PRODUCTION else "0"))
AXES_CLIENT_IP_CALLABLE = "renkou.core.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# TOTP is mandatory for every staff account in production, optional in the demo.
RENKOU_REQUIRE_SECOND_FACTOR = env_bool("RENKOU_REQUIRE_SECOND_FACTOR", default=PRODUCTION)
OTP_TOTP_ISSUER = "Renkou 人口"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
RENKOU_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("RENKOU_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- uploaded files: kept under the data directory, saved by `renkou backup` ---------------
MEDIA_ROOT = DATA_DIR / "media"

# --- static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Outside production whitenoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- logging: never personal data --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "renkou.lib.logredact.RedactPersonalData"},
        # Request lines: query values dropped, then the same redaction (docs/operations.md).
        "redact_access": {"()": "renkou.lib.accesslog.RedactAccessLine"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        # runserver's request lines (Django's own "django.server" handler has no filter).
        "server": {
            "class": "logging.StreamHandler",
            "formatter": "server",
            "filters": ["redact_access"],
        },
    },
    "root": {"handlers": ["console"], "level": env("RENKOU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

RENKOU_PAGE_SIZE = 50
# Reasons run to 500 characters (document numbers and explanations); the default is 100.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
