"""Settings for Kubernetes Failure Stories.

Every knob comes from an environment variable (see .env.example and the README).
With nothing set the site runs on the embedded default: a SQLite file in the project,
DEBUG on, a local-memory cache and Celery tasks executed eagerly.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
REPOSITORY_URL = env_url("REPOSITORY_URL", "", schemes=("http", "https")).rstrip("/")
STORIES_FIXTURES_DIR = Path(env_str("STORIES_FIXTURES_DIR", str(BASE_DIR / "fixtures")))
# Where export_dataset writes snapshots of the public catalogue and /data/ serves the latest.
DATASET_DIR = Path(env_str("DATASET_DIR", str(BASE_DIR / "var" / "dataset")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.catalog",
    "apps.search",
    "apps.api",
    "apps.linkcheck",
    "apps.submissions",
    "apps.web",
    "apps.dataset",
    "apps.affected",
    "apps.observability",
    "axes",
]

MIDDLEWARE = [
    # First: the request ID is set before anything logs, and the timing covers everything.
    "apps.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and CSRF: it must see the cookies they set (apps/core/cacheheaders.py).
    "apps.core.cacheheaders.CacheHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.web.middleware.PermissionsPolicyMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "apps.web.context_processors.site",
            ],
        },
    },
]

# Database -------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
_database = dj_database_url.parse(DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.postgresql":
    if env_bool("DATABASE_POOL", False):
        # psycopg's pool keeps connections itself; Django's persistent connections must be off.
        _database["CONN_MAX_AGE"] = 0
        _database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
        }
    else:
        _database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    _database["CONN_HEALTH_CHECKS"] = True
    # Set when a connection opens rather than by a statement in every search:
    # - pg_trgm's threshold for the `%` operator, which typo correction uses
    #   (apps/search/typos.py SIMILARITY, asserted equal in tests/search/test_typos.py);
    # - scans of a large table start at its first block, not where the last scan of it
    #   stopped: searches of a common word rank the first matches found (apps/search/
    #   engine.py SAMPLED), and the same search must find the same ones each time.
    _pg_options = _database.setdefault("OPTIONS", {})
    _session = "-c pg_trgm.similarity_threshold=0.25 -c synchronize_seqscans=off"
    _pg_options["options"] = f"{_pg_options.get('options', '')} {_session}".strip()
else:
    # A write transaction takes SQLite's write lock when it begins, so a second writer
    # waits up to `timeout` for it: begun as a reader, it failed at its first write with
    # "database is locked" (SQLite cannot wait there without risking a deadlock).
    _database.setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ----------------------------------------------------------------------
# Every connection to Redis (cache, broker, results) gives up after this long, so a Redis
# that is down or silent costs a request a bounded wait, not minutes. Replies on a LAN take
# about a millisecond; raise it only for a distant Redis.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_MS", 250, minimum=10, maximum=60_000) / 1000
CACHE_URL = env_url("CACHE_URL", "locmem://", schemes=("locmem", "redis", "rediss"))
if CACHE_URL.startswith("locmem"):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "apps.observability.cache.MeteredLocMemCache"}
    }
else:
    # Fails open, within a short timeout, when Redis is unreachable (see config/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "apps.observability.cache.MeteredFailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }

# Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", "", schemes=("redis", "rediss"))
CELERY_RESULT_BACKEND = (
    env_url("CELERY_RESULT_BACKEND", CELERY_BROKER_URL, schemes=("redis", "rediss")) or None
)
# No broker: run tasks in-process so the embedded default needs no services.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than any task runs (a full upstream sync may wait for a rate-limit reset), so an
# unacknowledged task is redelivered only when its worker really died.
# max_retries 0 and the short timeouts: a web request that enqueues while the broker is
# down or silent fails over to the outbox within a second instead of waiting out reconnect
# back-off. Workers reconnect on their own; kombu reads their BRPOP once a reply is waiting.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "visibility_timeout": 2 * 3600,
    "max_retries": 0,
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
}
# Deployments (or test runs) sharing one Redis database keep their queues apart by prefix.
if CELERY_KEY_PREFIX := env_str("CELERY_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = CELERY_KEY_PREFIX
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
# Nothing reads task results. Storing them would make every publish also subscribe on the
# result backend, which retried 20 times (about 19 s) per task while Redis was down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "apps.core.beat:LeaderScheduler"
SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 30, minimum=2)
SCHEDULER_RENEW_SECONDS = env_int("SCHEDULER_RENEW_SECONDS", 10, minimum=1)
if SCHEDULER_RENEW_SECONDS >= SCHEDULER_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "SCHEDULER_RENEW_SECONDS must be shorter than SCHEDULER_LEASE_SECONDS."
    )


# Shared cache (apps.core.sharedcache) ----------------------------------------
# Where to send BAN when the catalogue changes: each Varnish in front of the site, e.g.
# http://cache:80/ (docker-compose.yml). Empty: no Varnish to tell (development, tests).
SHARED_CACHE_BAN_URLS = env_list("SHARED_CACHE_BAN_URLS", [])
for _url in SHARED_CACHE_BAN_URLS:
    if not _url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"SHARED_CACHE_BAN_URLS: {_url!r} is not an http(s) URL.")


# Client addresses (apps.core.clientip) ---------------------------------------
# Default: the connection's peer (REMOTE_ADDR); X-Forwarded-For is ignored. Behind proxies
# that append to X-Forwarded-For, set how many there are or which networks they are in.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=20)
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])
if TRUSTED_PROXY_COUNT and TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "Set TRUSTED_PROXY_COUNT or TRUSTED_PROXIES, not both: each alone says which "
        "X-Forwarded-For entry is the client."
    )


# API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not logged in" into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's own read X-Forwarded-For; these ask apps.core.clientip.
        "apps.api.throttling.AnonRateThrottle",
        "apps.api.throttling.UserRateThrottle",
        "apps.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON", "120/min"),
        "user": env_rate("API_THROTTLE_USER", "600/min"),
    },
    # JSON nested at most 32 deep and with no lone surrogate; forms as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "apps.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "apps.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kubernetes Failure Stories API",
    "DESCRIPTION": (
        "Read every published Kubernetes failure story, component, mitigation, organization "
        "and upstream issue. Signed-in users submit stories and edits for review; moderators "
        "review submissions and edit or retract stories with optimistic concurrency (If-Match)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.postprocess",
    ],
}

# Link health and upstream sync (both off by default: they reach the network) -----
LINKCHECK_ENABLED = env_bool("LINKCHECK_ENABLED", False)
# Tests only: lets the checker reach servers on 127.0.0.1 / ::1.
LINKCHECK_ALLOW_LOOPBACK = env_bool("LINKCHECK_ALLOW_LOOPBACK", False)
LINKCHECK_CONNECT_TIMEOUT = env_int("LINKCHECK_CONNECT_TIMEOUT", 5, minimum=1, maximum=60)
LINKCHECK_READ_TIMEOUT = env_int("LINKCHECK_READ_TIMEOUT", 15, minimum=1, maximum=300)
LINKCHECK_MAX_REDIRECTS = env_int("LINKCHECK_MAX_REDIRECTS", 5, minimum=0, maximum=20)
LINKCHECK_BROKEN_AFTER = env_int("LINKCHECK_BROKEN_AFTER", 3, minimum=1, maximum=100)
LINKCHECK_INTERVAL_HOURS = env_int("LINKCHECK_INTERVAL_HOURS", 24, minimum=1)
UPSTREAM_SYNC_ENABLED = env_bool("UPSTREAM_SYNC_ENABLED", False)
GITHUB_API_URL = env_url("GITHUB_API_URL", "https://api.github.com", schemes=("http", "https"))
GITHUB_TOKEN = env_str("GITHUB_TOKEN")
UPSTREAM_SYNC_INTERVAL_HOURS = env_int("UPSTREAM_SYNC_INTERVAL_HOURS", 6, minimum=1)
# Longest a sync waits for a GitHub rate-limit reset before leaving the rest for later.
UPSTREAM_RATE_LIMIT_MAX_WAIT = env_int("UPSTREAM_RATE_LIMIT_MAX_WAIT", 60, minimum=0)
USER_AGENT = env_str("USER_AGENT", "k8s-failure-stories-linkcheck/1.0")
CELERY_BEAT_SCHEDULE = {
    "check-all-sources": {
        "task": "apps.linkcheck.tasks.check_all_sources",
        "schedule": LINKCHECK_INTERVAL_HOURS * 3600,
    },
    "sync-all-upstream": {
        "task": "apps.linkcheck.tasks.sync_all_upstream",
        "schedule": UPSTREAM_SYNC_INTERVAL_HOURS * 3600,
    },
    "sweep-outbox": {"task": "apps.core.tasks.sweep_outbox", "schedule": 60},
}

# Submissions and moderation ----------------------------------------------------
# Rate limits are kept in the cache: set CACHE_URL=redis://... so every web process
# shares one count.
SUBMISSION_RATE_PER_IP = env_rate("SUBMISSION_RATE_PER_IP", "5/hour")
SUBMISSION_RATE_PER_USER = env_rate("SUBMISSION_RATE_PER_USER", "20/hour")
# Previews and duplicate checks run while someone types; this caps them per address.
SUBMISSION_HELPER_RATE = env_rate("SUBMISSION_HELPER_RATE", "120/min")
# A form sent sooner than this after it was shown is flagged as likely automated.
SUBMISSION_MIN_SECONDS = env_int("SUBMISSION_MIN_SECONDS", 5, minimum=0, maximum=3600)

# Email (notifications to submitters who leave an address) ------------------------
EMAIL_BACKEND = env_choice(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    (
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.smtp.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ),
)
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "stories@localhost")

# Auth -----------------------------------------------------------------------
LOGIN_URL = "login"
# django-axes refuses sign-in on every login form (the site's and the admin's) after
# LOGIN_FAILURE_LIMIT failures within LOGIN_COOLOFF_MINUTES, and the refusal lasts that long.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
# Failures count per account *and address together*: one address guessing at an account is
# stopped, while the account's owner elsewhere still signs in (a lock per account alone would
# let anyone lock a moderator out from everywhere). Accounts here are few (moderators and
# admins), so one address spraying guesses across usernames gains little.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "apps.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.web.views.lockout.login_locked_out"
# Failed attempts (kept until they expire or are reset) are enough; no log of every sign-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner on every manage.py command
LOGIN_REDIRECT_URL = "submissions:queue"
LOGOUT_REDIRECT_URL = "web:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes (compose, Kubernetes) call these over plain HTTP inside the host or cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Browsers' preload lists take a site only with a year's max-age and its subdomains.
if SECURE_HSTS_PRELOAD and (SECURE_HSTS_SECONDS < 31536000 or not SECURE_HSTS_INCLUDE_SUBDOMAINS):
    raise ImproperlyConfigured(
        "SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS of at least 31536000 (a year) and "
        "SECURE_HSTS_INCLUDE_SUBDOMAINS=true."
    )
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Metrics (apps.observability) -------------------------------------------------
# /metrics answers only when enabled, and only to clients in these networks (the address
# apps.core.clientip finds); anyone else gets a 404. Under gunicorn set
# PROMETHEUS_MULTIPROC_DIR to an empty directory shared by its workers.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
# Celery workers and beat serve their own counters on this port (0: not at all). It has no
# address check of its own: expose it only inside the cluster (a NetworkPolicy).
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 0, minimum=0, maximum=65535)

# Logging ----------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# text for a terminal, json (one object a line) for a log pipeline; both name the request.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.observability.logs.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "apps.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler would print each record a second time.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
