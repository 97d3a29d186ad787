"""Kehu settings: one file, every knob read from the environment, safe defaults.

See the README's table of environment variables. ``KEHU_ENV=production`` turns on
the production security settings; everything else defaults to a single-machine
install on SQLite under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent  # src/kehu
PROJECT_DIR = BASE_DIR.parent.parent  # the checkout


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Strict boolean: refuses junk instead of guessing."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


KEHU_ENV = env_str("KEHU_ENV", "development")
if KEHU_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("KEHU_ENV must be development, production or test")
PRODUCTION = KEHU_ENV == "production"

VAR_DIR = Path(env_str("KEHU_VAR_DIR", str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use KEHU_SECRET_KEY, or generate one into var/ on first run."""
    given = env_str("KEHU_SECRET_KEY")
    if given:
        return given
    if PRODUCTION:
        raise ImproperlyConfigured("KEHU_SECRET_KEY is required when KEHU_ENV=production")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEHU_DEBUG", False)

ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KEHU_ALLOWED_HOSTS is required when KEHU_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "ninja",
    "huey.contrib.djhuey",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.orders",
    "kehu.interactions",
    "kehu.followups",
    "kehu.complaints",
    "kehu.surveys",
    "kehu.pipeline",
    "kehu.messaging",
    "kehu.care",
    "kehu.lifecycle",
    "kehu.value",
    "kehu.segments",
    "kehu.imports",
    "kehu.exports",
    "kehu.leads",
    "kehu.channels",
    "kehu.coupons",
    "kehu.loyalty",
    "kehu.exits",
    "kehu.retention",
    "kehu.jobs",
    "kehu.demo",  # the `kehu demo` command; no models
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that renders a page (axes' lockout page included): the nonce a
    # template reads must be asked for before this writes the header.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 (JSON under /api/), not a 400 or 500.
    "kehu.core.middleware.RequestTooLargeMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "kehu.followups.context.notifications",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.shell.context.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kehu.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("KEHU_CONN_MAX_AGE", 600), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A 64 MiB page cache and reads through mmap: the default 2 MiB cache misses on
        # every random customer row a batch of orders touches.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: lock a username+IP after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("KEHU_LOGIN_THROTTLE", True)
# Reverse proxies in front (nginx: 1); the client's address is then the one the outermost
# proxy saw, from X-Forwarded-For (kehu/accounts/client_ip.py). 0: the socket's address.
KEHU_PROXY_COUNT = env_int("KEHU_PROXY_COUNT", 0)
if KEHU_PROXY_COUNT < 0:
    raise ImproperlyConfigured("KEHU_PROXY_COUNT must be 0 or more")
AXES_CLIENT_IP_CALLABLE = "kehu.accounts.client_ip.client_ip"

# --- i18n -----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# One date format and number grouping in every language (kehu/formats/): 2026-06-30, 12,345.
FORMAT_MODULE_PATH = ["kehu.formats"]

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
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
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env_str("KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("KEHU_FROM_EMAIL", "kehu@localhost")
EMAIL_HOST = env_str("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KEHU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KEHU_EMAIL_TLS", False)
# A hung mail server must not outlast the reminder job's claim on an e-mail (5 min).
EMAIL_TIMEOUT = env_int("KEHU_EMAIL_TIMEOUT", 30)
# Links in e-mails and calendar feeds point here.
KEHU_BASE_URL = env_str("KEHU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("KEHU_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): everything is served by the app itself.
# Scripts: files from here, or inline with the request's nonce (`nonce="{{
# request.csp_nonce }}"`); no inline handlers, no eval (htmx runs with allowEval off).
# Styles: stylesheets from here; style *attributes* stay allowed (stage colours from the
# database, progress bars, ECharts' tooltips write them), <style> elements do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons as data: SVGs
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

KEHU_LOG_LEVEL = env_str("KEHU_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (4xx) is logged as one line, without the traceback Django adds
    # to a 403; errors keep theirs.
    "filters": {"refusals": {"()": "kehu.core.logs.RefusalsWithoutTraceback"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["refusals"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": KEHU_LOG_LEVEL},
    "loggers": {
        # Django's own config gives "django" a console handler when DEBUG is on (make
        # run), and its records also reached the root's: every line came out twice.
        # Now they reach the root's only. Configuring "django" resets its children, so
        # runserver's request lines ("django.server") are declared again as Django does.
        "django": {"handlers": [], "level": KEHU_LOG_LEVEL},
        "django.request": {"filters": ["refusals"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# --- Kehu -----------------------------------------------------------------------
KEHU_DEFAULT_REGION = env_str("KEHU_DEFAULT_REGION", "CN")
# The public lead form (kehu/leads/public.py): submissions per client address and minute,
# counted in the database (every web process sees the same counts).
KEHU_LEAD_FORM_RATE = env_int("KEHU_LEAD_FORM_RATE", 10)
KEHU_CURRENCY = env_str("KEHU_CURRENCY", "CNY")
# Salespeople may issue coupons to their customers (admins and managers always may).
KEHU_COUPONS_SALES_ISSUE = env_bool("KEHU_COUPONS_SALES_ISSUE", False)
KEHU_PAGE_SIZE = env_int("KEHU_PAGE_SIZE", 25)
KEHU_SEARCH_COUNT_CAP = env_int("KEHU_SEARCH_COUNT_CAP", 1000)
KEHU_LIST_COUNT_CAP = env_int("KEHU_LIST_COUNT_CAP", 10000)
# Imports: the largest file accepted (bytes); a workbook may unpack to 20 times that.
KEHU_IMPORT_MAX_BYTES = env_int("KEHU_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# Worker processes that check a big file's rows in the dry run (kehu/imports/parallel.py);
# -1: one per core beyond the first, 0: none (the importing process checks them).
KEHU_IMPORT_WORKERS = env_int("KEHU_IMPORT_WORKERS", -1)
# Messages (群发): SMS gateway "logging" (no network) or "http" (URL + HMAC secret).
KEHU_SMS_BACKEND = env_str("KEHU_SMS_BACKEND", "logging")
KEHU_SMS_URL = env_str("KEHU_SMS_URL", "")
KEHU_SMS_SECRET = env_str("KEHU_SMS_SECRET", "")
KEHU_MESSAGES_PER_SECOND = env_int("KEHU_MESSAGES_PER_SECOND", 20)
# Opportunities (商机) untouched this many days are flagged to their owner (a task).
KEHU_OPPORTUNITY_STALE_DAYS = env_int("KEHU_OPPORTUNITY_STALE_DAYS", 14)

# --- Loyalty (会员与积分) -------------------------------------------------------------
# Points expire at the end of the year this many years after the year they were earned
# (1: points of 2026 last until 31 Dec 2027); 0: they never expire.
KEHU_LOYALTY_EXPIRY_YEARS = env_int("KEHU_LOYALTY_EXPIRY_YEARS", 1)
# Levels are reached by the points ("points") or the spend ("spend") of the last 12 months.
KEHU_LOYALTY_LEVEL_BASIS = env_str("KEHU_LOYALTY_LEVEL_BASIS", "spend")
# Points the referrer gets when the referred customer's first paid order is recorded.
KEHU_LOYALTY_REFERRAL_POINTS = env_int("KEHU_LOYALTY_REFERRAL_POINTS", 200)
# Whether salespeople may grant and deduct points on their own customers (admins and
# managers always may).
KEHU_LOYALTY_SALES_MAY_GRANT = env_bool("KEHU_LOYALTY_SALES_MAY_GRANT", False)

# --- Exports ----------------------------------------------------------------------
# An export of more rows than this runs as a job (a progress page, then a download link
# valid for KEHU_EXPORT_LINK_HOURS); smaller ones stream at once. Files in var/exports/.
KEHU_EXPORT_ASYNC_ROWS = env_int("KEHU_EXPORT_ASYNC_ROWS", 50_000)
KEHU_EXPORT_LINK_HOURS = env_int("KEHU_EXPORT_LINK_HOURS", 24)
KEHU_EXPORT_SEARCH_MAX = env_int("KEHU_EXPORT_SEARCH_MAX", 200_000)

# --- Jobs -----------------------------------------------------------------------
# The job queue (Huey; `kehu jobs` runs the worker and the schedule): a SQLite file in
# var/ for one machine, Redis when KEHU_REDIS_URL is set (several workers and machines).
# The suite runs tasks inline (immediate) unless KEHU_JOBS_IMMEDIATE=false.
KEHU_REDIS_URL = env_str("KEHU_REDIS_URL")
KEHU_JOBS_KEEP_DAYS = env_int("KEHU_JOBS_KEEP_DAYS", 30)
HUEY = {
    "name": env_str("KEHU_JOBS_QUEUE", "kehu"),
    "huey_class": "huey.RedisHuey" if KEHU_REDIS_URL else "huey.SqliteHuey",
    "connection": (
        {"url": KEHU_REDIS_URL} if KEHU_REDIS_URL else {"filename": str(VAR_DIR / "jobs.sqlite3")}
    ),
    "immediate": env_bool("KEHU_JOBS_IMMEDIATE", KEHU_ENV == "test"),
    "results": False,  # every run is recorded in JobRun; stored results would pile up
    "utc": True,  # schedules are computed from UTC (see kehu/jobs/schedule.py)
    "consumer": {
        "workers": env_int("KEHU_JOBS_WORKERS", 2),
        "worker_type": "thread",
        "periodic": env_bool("KEHU_JOBS_PERIODIC", True),
        "graceful_signal": "TERM",  # what systemd, Docker and `make run` send
        "shutdown_timeout": 20.0,  # then stop anyway: every job survives an interruption
        "check_worker_health": True,
    },
}

if KEHU_ENV == "test":
    # Fast hashing in the suite only; production and development use Argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
