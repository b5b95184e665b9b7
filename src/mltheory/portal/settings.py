"""Django settings for the portal.

Everything a deployment changes comes from the environment:

- ``DATABASE_URL``: e.g. ``postgres://user:pass@host:5432/db``. Default: SQLite in the user's data dir.
- ``SECRET_KEY``: required when ``MLT_PORTAL_DEBUG`` is not set.
- ``MLT_PORTAL_DEBUG``: ``1`` for development (the default for ``mlt portal``).
- ``ALLOWED_HOSTS``: comma-separated host names.
- ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
  ``EMAIL_TIMEOUT`` (seconds, 30), ``DEFAULT_FROM_EMAIL``: SMTP. Without ``EMAIL_HOST`` mail is printed to the console.
- ``MLT_PORTAL_DATA_DIR``: where the SQLite database and uploaded files live.
- ``MLT_PORTAL_SECURE``: ``1`` behind HTTPS (HSTS, secure cookies, SSL redirect).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from platformdirs import user_data_dir


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = (
    Path(os.environ.get("MLT_PORTAL_DATA_DIR") or user_data_dir("mltheory", "mltheory")) / "portal"
)

DEBUG = _env_flag("MLT_PORTAL_DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "insecure-development-key-change-me" if DEBUG else None
)
if not SECRET_KEY:
    # ImproperlyConfigured: `python -m mltheory.portal` prints it as one line, not a traceback.
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY in the environment for production, "
        "or MLT_PORTAL_DEBUG=1 for local development."
    )

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mltheory.portal.accounts",
    "mltheory.portal.courses",
    "mltheory.portal.admissions",
    "mltheory.portal.seminars",
    "mltheory.portal.mail",
    "django_tasks",
    "django_tasks_db",
    "mltheory.portal.compute",
]

MIDDLEWARE = [
    # Outermost, so that it sees every cookie the others set (CSRF, session) before deciding.
    "mltheory.portal.caching.PublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and a year's expiry, compressed ahead of time; before GZip,
    # which then compresses only the pages Django renders (Django masks CSRF tokens per response,
    # which is what keeps compressing pages that hold them safe from BREACH).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (sessions, CSRF): an over-large upload is refused unread.
    "mltheory.portal.request_limits.RequestSizeLimitMiddleware",
    "mltheory.portal.mail.links.RequestAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mltheory.portal.urls"
WSGI_APPLICATION = "mltheory.portal.wsgi.application"

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
                "mltheory.portal.courses.context_processors.header_courses",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    # SQLite cannot create the file's directory: make it, so `migrate` works on a fresh machine.
    # A directory that cannot be made is reported in one line when the database is opened.
    with contextlib.suppress(OSError):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL", _default_db), conn_max_age=60
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL ({error}); e.g. postgres://user:pass@host:5432/db"
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # `mlt worker` processes share the SQLite file with the web process: take the write lock
    # when a transaction begins (so a read-then-write, like a quota check, cannot deadlock),
    # let readers proceed beside a writer (WAL), and wait for the lock rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored in UTC; pages show Eastern time (the courses' own zone) and the viewer's zone.
TIME_ZONE = "UTC"
COURSE_TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The site's own stylesheet, script and icons (the portal package is not an app itself).
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes each file under a content-hashed name, gzipped and brotli'd beside it;
    # WhiteNoise serves those names with a year's Cache-Control. `mlt portal` (DEBUG) serves the
    # source files unhashed, straight from the apps.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# /favicon.ico and /robots.txt are served from here at the site's root.
WHITENOISE_ROOT = BASE_DIR / "root_files"
# Uploaded files (applications, solutions, slides). Never served directly: every download
# goes through a permission-checked view.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = None

# Sign in by username or by email address (any letter case): see accounts/backends.py.
AUTHENTICATION_BACKENDS = ["mltheory.portal.accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Uploads: the largest file (a PDF, slides) anyone may upload.
MAX_UPLOAD_BYTES = int(os.environ.get("MLT_PORTAL_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
# A request's fields other than files (statements, notes): far below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Uploads larger than this go to a temporary file instead of memory while they are checked.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A request whose body is larger than two files at MAX_UPLOAD_BYTES plus the other fields is
# refused with 413 before it is read (mltheory.portal.request_limits).

if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_flag("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Seconds any one network wait on the mail server may take (connect, each SMTP reply). Without
# it a server that accepts the connection and then hangs would stall the outbox worker forever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 30))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mltheory <noreply@mltheory.local>")
# Absolute links in emails (confirmation, unsubscribe) are built from this. Unset, they use the
# address each request was made to (mltheory.portal.mail.links); production must set it.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

# Rate-limit counters (sign-in, sign-up, resending the confirmation link, subscribe) live in the
# default cache. The local-memory cache is per process; with several gunicorn workers set
# MLT_PORTAL_CACHE=database (and run `createcachetable` once) so that all workers share one count.
if os.environ.get("MLT_PORTAL_CACHE") == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Compute (students' lab runs on the course's workers; see docs/compute.md). The queue is
# Django's tasks framework with the database backend; a worker runs `mlt worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        # `-student`: runs of uploaded experiment modules, taken only by workers that staff
        # allowed to run student code.
        "QUEUES": ["cpu", "gpu", "cpu-student", "gpu-student"],
    }
}
# Where workers keep each run's directory (the lab resumes from its checkpoint there). Put it
# on a shared file system for a retried run to resume on another machine.
COMPUTE_WORK_DIR = Path(os.environ.get("MLT_COMPUTE_WORK_DIR") or DATA_DIR / "compute")
# A running run's worker writes a heartbeat this often; a run whose heartbeat is older than
# the timeout is taken again (its worker died), up to the attempts limit.
COMPUTE_HEARTBEAT_S = float(os.environ.get("MLT_COMPUTE_HEARTBEAT_S", 5))
COMPUTE_HEARTBEAT_TIMEOUT_S = float(os.environ.get("MLT_COMPUTE_HEARTBEAT_TIMEOUT_S", 60))
COMPUTE_MAX_ATTEMPTS = int(os.environ.get("MLT_COMPUTE_MAX_ATTEMPTS", 3))
# Where a sweep's cells run: "local" (one after another on the worker) or "ray" (the lab's Ray
# executor, on the cluster RAY_ADDRESS names).
COMPUTE_SWEEP_EXECUTOR = os.environ.get("MLT_COMPUTE_SWEEP_EXECUTOR", "local")
# A student's budget per term until staff set it (hours).
COMPUTE_DEFAULT_CPU_HOURS = float(os.environ.get("MLT_COMPUTE_DEFAULT_CPU_HOURS", 10))
COMPUTE_DEFAULT_GPU_HOURS = float(os.environ.get("MLT_COMPUTE_DEFAULT_GPU_HOURS", 2))
# The time a run may take per seed at each scale: reserved from the quota when it is submitted,
# and the run is stopped when it exceeds it.
COMPUTE_TIME_LIMIT_S = {"smoke": 5 * 60, "cpu": 30 * 60, "paper": 6 * 3600}
# The largest uploaded experiment module.
COMPUTE_MAX_MODULE_BYTES = 256 * 1024

# Security headers. HTTPS-only settings switch on with MLT_PORTAL_SECURE=1 (production).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if _env_flag("MLT_PORTAL_SECURE", default=not DEBUG):
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Behind the proxy, rate limits key on the client's address from X-Forwarded-For.
    RATELIMIT_IP_META_KEY = "mltheory.portal.accounts.ratelimits.client_ip"
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp): no inline script or style anywhere, everything from this
# origin. Pages keep their script and style in static files for this reason.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# Public pages seen without a session may be cached briefly, by browsers and shared caches
# alike (see mltheory.portal.caching); everything else is private.
PUBLIC_PAGE_MAX_AGE = int(os.environ.get("MLT_PORTAL_PUBLIC_MAX_AGE", 300))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MLT_PORTAL_LOG_LEVEL", "WARNING")},
}
