"""Settings, one class per environment, every value read from the environment with a type.

Values are read when a settings object is created, not at import time, so tests build their own
object (``TestingConfig(DATABASE_URL=...)``) and pass it to ``create_app`` instead of mutating globals.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Placeholder used in development only; production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"
# Keys written in this repository (the placeholder, the tests' key): only development and testing use them.
REPOSITORY_SECRET_KEYS = frozenset({DEFAULT_SECRET_KEY, "test-secret-key"})
# What production asks of SECRET_KEY (length, distinct characters, estimated bits): any output of
# secrets.token_hex(16) or longer, or token_urlsafe(24) or longer, passes; 32 identical characters do not.
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_DISTINCT = 8
SECRET_KEY_MIN_BITS = 80
# The environments in which a key from the repository, memory:// limits or plain-HTTP WeChat are allowed.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "testing"})

OFFICIAL_WECHAT_API_BASE = "https://api.weixin.qq.com"
OFFICIAL_WECOM_API_BASE = "https://qyapi.weixin.qq.com"


# Active claims one person may hold at once: the claim's read carries their slots as bits of a 64-bit
# integer (app/services/wishes/claims.py).
MAX_CLAIM_LIMIT = 60


class ConfigError(RuntimeError):
    """Raised when settings are missing or unsafe for the chosen environment."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_parsed(name: str, default, parse, kind: str):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_parsed(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_parsed(name, default, float, "a number")


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is not fit for production, or None. The estimate is the key's length times the
    Shannon entropy of its characters, so repeated or few distinct characters count for little."""
    if not key or key in REPOSITORY_SECRET_KEYS:
        return "SECRET_KEY is unset or a value from the repository"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY must have at least {SECRET_KEY_MIN_LENGTH} characters"
    counts = Counter(key)
    if len(counts) < SECRET_KEY_MIN_DISTINCT:
        return f"SECRET_KEY must use at least {SECRET_KEY_MIN_DISTINCT} distinct characters"
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < SECRET_KEY_MIN_BITS or key in (key + key)[1:-1]:  # the second test: a repeated pattern
        return f"SECRET_KEY looks guessable (about {bits:.0f} bits; at least {SECRET_KEY_MIN_BITS} needed)"
    return None


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    APP_ENV = "production"  # a bare Config is held to the strictest rules
    DEBUG = False
    TESTING = False

    def __init__(self, **overrides: object) -> None:
        self.SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
        default_db = f"sqlite:///{INSTANCE_DIR / 'wenming.db'}"
        self.DATABASE_URL = normalise_database_url(env_str("DATABASE_URL", default_db))

        # WeChat mini-program and WeCom credentials.
        self.WECHAT_APPID = env_str("WECHAT_APPID")
        self.WECHAT_SECRET = env_str("WECHAT_SECRET")
        self.WECOM_CORP_ID = env_str("WECOM_CORP_ID")
        self.WECOM_AGENT_ID = env_int("WECOM_AGENT_ID", 0)
        self.WECOM_SECRET = env_str("WECOM_SECRET")
        self.WECOM_TOKEN = env_str("WECOM_TOKEN")
        self.WECOM_ENCODING_AES_KEY = env_str("WECOM_ENCODING_AES_KEY")
        # When set, every WeChat and WeCom call (token fetches included) goes to this base URL.
        self.WECHAT_API_BASE = env_str("WECHAT_API_BASE").rstrip("/")
        # Production refuses a WECHAT_API_BASE that is not https:// (the sandbox) unless this says so
        # (a plain-HTTP forward proxy on a trusted network).
        self.WECHAT_API_BASE_ALLOW_HTTP = env_bool("WECHAT_API_BASE_ALLOW_HTTP", False)
        self.WECHAT_TIMEOUT = env_float("WECHAT_TIMEOUT", 5.0)
        # WeCom callback: refuse messages whose timestamp is further than this from now.
        self.WECOM_CALLBACK_MAX_SKEW_SECONDS = env_int("WECOM_CALLBACK_MAX_SKEW_SECONDS", 300)

        # Outbox dispatcher. WeCom allows a group robot 20 messages a minute and an application 30
        # messages a minute per person; windows are rolling and measured from actual send times.
        self.OUTBOX_ROBOT_LIMIT = env_int("OUTBOX_ROBOT_LIMIT", 20)
        self.OUTBOX_ROBOT_WINDOW_SECONDS = env_float("OUTBOX_ROBOT_WINDOW_SECONDS", 60.0)
        self.OUTBOX_APP_LIMIT = env_int("OUTBOX_APP_LIMIT", 29)
        self.OUTBOX_APP_WINDOW_SECONDS = env_float("OUTBOX_APP_WINDOW_SECONDS", 60.0)
        # Extra wait added to every window, for clock and network jitter.
        self.OUTBOX_WINDOW_MARGIN_SECONDS = env_float("OUTBOX_WINDOW_MARGIN_SECONDS", 0.5)
        self.OUTBOX_RETRY_BASE_SECONDS = env_float("OUTBOX_RETRY_BASE_SECONDS", 10.0)
        self.OUTBOX_RETRY_MAX_SECONDS = env_float("OUTBOX_RETRY_MAX_SECONDS", 1800.0)
        self.OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
        self.OUTBOX_LEASE_SECONDS = env_float("OUTBOX_LEASE_SECONDS", 60.0)
        self.OUTBOX_POLL_SECONDS = env_float("OUTBOX_POLL_SECONDS", 1.0)
        self.OUTBOX_THREADS = env_int("OUTBOX_THREADS", 4)

        # Shared state between processes (rate limits, WeChat access tokens). Empty: database/memory.
        self.REDIS_URL = env_str("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", self.REDIS_URL or "memory://")
        # Production refuses memory:// limits (each worker counts alone) unless the operator accepts them.
        self.RATELIMIT_ALLOW_PER_PROCESS = env_bool("RATELIMIT_ALLOW_PER_PROCESS", False)

        # Mini-program sessions and login limits.
        self.MP_TOKEN_TTL_HOURS = env_int("MP_TOKEN_TTL_HOURS", 24 * 7)
        self.LOGIN_RATE_LIMIT_PER_ADDRESS = env_str("LOGIN_RATE_LIMIT_PER_ADDRESS", "1200/minute")
        self.LOGIN_RATE_LIMIT_PER_ACCOUNT = env_str("LOGIN_RATE_LIMIT_PER_ACCOUNT", "10/minute")
        self.BIND_RATE_LIMIT_PER_ACCOUNT = env_str("BIND_RATE_LIMIT_PER_ACCOUNT", "10/minute")
        # Binding attempts per address (an office NAT binds at once on the first day) and, for
        # name + 工号, per target 工号 (stops guessing one person's name from many accounts).
        self.BIND_RATE_LIMIT_PER_ADDRESS = env_str("BIND_RATE_LIMIT_PER_ADDRESS", "120/minute")
        self.BIND_RATE_LIMIT_PER_TARGET = env_str("BIND_RATE_LIMIT_PER_TARGET", "5/hour")
        # Binding by the phone number WeChat verifies (on/off), and the name + 工号 fallback:
        # "open" binds at once, "approval" files a request an admin decides, "off" refuses it.
        self.BIND_BY_PHONE = env_bool("BIND_BY_PHONE", True)
        self.BIND_BY_NAME = env_str("BIND_BY_NAME", "open").lower()
        # Number of reverse proxies in front of the app whose X-Forwarded-For we trust.
        self.TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

        # Largest request body; the proof upload alone allows 9 photos of PHOTO_MAX_BYTES plus 1 MB.
        self.MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.UPLOAD_FOLDER = env_str("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
        # 微心愿: active claims per person, days a claimer has to fulfil (never past the wish's own
        # deadline), the reminder before that, and the limits on uploaded photos.
        self.WISH_CLAIM_LIMIT = env_int("WISH_CLAIM_LIMIT", 2)
        self.WISH_FULFIL_DAYS = env_int("WISH_FULFIL_DAYS", 14)
        self.WISH_REMIND_DAYS_BEFORE = env_int("WISH_REMIND_DAYS_BEFORE", 2)
        self.PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024)
        self.PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 50_000_000)
        # 微心愿 against harvesting beneficiaries' details and tying up workers: no new claim for this
        # long after a release, claims and proof submissions per person, the releases in 7 days after
        # which admins are told, all pixels of one upload, and the longest side of a stored photo.
        self.WISH_RECLAIM_COOLDOWN_HOURS = env_float("WISH_RECLAIM_COOLDOWN_HOURS", 24.0)
        self.WISH_CLAIM_RATE_LIMIT = env_str("WISH_CLAIM_RATE_LIMIT", "20/hour")
        self.WISH_PROOF_RATE_LIMIT = env_str("WISH_PROOF_RATE_LIMIT", "10/hour")
        self.WISH_CHURN_ALERT_RELEASES = env_int("WISH_CHURN_ALERT_RELEASES", 3)
        self.PHOTO_MAX_TOTAL_PIXELS = env_int("PHOTO_MAX_TOTAL_PIXELS", 120_000_000)
        self.PHOTO_MAX_SIDE = env_int("PHOTO_MAX_SIDE", 1920)

        # 创建台账: the largest document (PDF, DOCX, XLSX) uploaded against a work item; photos keep PHOTO_MAX_BYTES.
        self.LEDGER_DOCUMENT_MAX_BYTES = env_int("LEDGER_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
        # The console's inspection packs (UPLOAD_FOLDER/ledger-exports/) are removed after this many days.
        self.LEDGER_EXPORT_KEEP_DAYS = env_int("LEDGER_EXPORT_KEEP_DAYS", 7)
        self.SCHEDULER_LEDGER_CHECK_TIME = env_str("SCHEDULER_LEDGER_CHECK_TIME", "09:40")
        # 检查考评: the 通报 template (.docx; an admin's uploaded one wins) and the daily rectification reminders.
        self.INSPECTION_REPORT_TEMPLATE = env_str("INSPECTION_REPORT_TEMPLATE")
        self.SCHEDULER_RECTIFICATION_TIME = env_str("SCHEDULER_RECTIFICATION_TIME", "09:20")
        self.LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
        # Wall-clock times (reminders, festivals, sign-in windows) are in this zone; storage is UTC.
        self.TIMEZONE = env_str("TIMEZONE", "Asia/Shanghai")

        # Events and QR sign-in. The QR content is CHECKIN_URL_BASE?t=<signed token>: an HTTPS address
        # registered with WeChat's "scan an ordinary link to open the mini-program" rule.
        self.CHECKIN_URL_BASE = env_str("CHECKIN_URL_BASE", "http://127.0.0.1:8000/qr/checkin")
        self.CHECKIN_OPENS_BEFORE_MINUTES = env_int("CHECKIN_OPENS_BEFORE_MINUTES", 30)
        self.CHECKIN_CLOSES_AFTER_MINUTES = env_int("CHECKIN_CLOSES_AFTER_MINUTES", 30)
        self.CHECKOUT_CLOSES_AFTER_END_MINUTES = env_int("CHECKOUT_CLOSES_AFTER_END_MINUTES", 60)
        self.LIVE_CODE_PERIOD_SECONDS = env_int("LIVE_CODE_PERIOD_SECONDS", 30)
        # The mini-program page a mini-program code (wxacode) opens; it posts the scene to /api/mp/checkins.
        self.CHECKIN_MINIPROGRAM_PAGE = env_str("CHECKIN_MINIPROGRAM_PAGE", "pages/checkin/index")
        # WeChat's ordinary-link QR rule: the verification file's name (e.g. a1B2c3D4e5.txt) and content
        # from the mini-program admin console, served where WeChat looks for it (app/verification.py).
        self.WECHAT_QR_VERIFY_FILE = env_str("WECHAT_QR_VERIFY_FILE")
        self.WECHAT_QR_VERIFY_CONTENT = env_str("WECHAT_QR_VERIFY_CONTENT")
        # A font with CJK glyphs for posters; empty: search the usual system locations.
        self.CJK_FONT_PATH = env_str("CJK_FONT_PATH")
        # Scheduler (``flask scheduler run``): local wall-clock times "HH:MM" of the daily jobs,
        # how late a missed run may still start, and how a second scheduler process waits.
        self.SCHEDULER_TIP_TIME = env_str("SCHEDULER_TIP_TIME", "08:30")
        self.SCHEDULER_FESTIVAL_TIME = env_str("SCHEDULER_FESTIVAL_TIME", "09:00")
        self.SCHEDULER_DIGEST_TIME = env_str("SCHEDULER_DIGEST_TIME", "08:00")  # Mondays
        self.SCHEDULER_LECTURE_CHECK_TIME = env_str("SCHEDULER_LECTURE_CHECK_TIME", "09:30")
        self.SCHEDULER_HOUSEKEEPING_TIME = env_str("SCHEDULER_HOUSEKEEPING_TIME", "03:30")
        # Housekeeping: how long spent rows are kept (see app.services.housekeeping).
        self.API_SESSION_RETENTION_DAYS = env_int("API_SESSION_RETENTION_DAYS", 30)
        self.WECOM_INBOUND_RETENTION_DAYS = env_int("WECOM_INBOUND_RETENTION_DAYS", 180)
        self.SCHEDULER_MISFIRE_GRACE_HOURS = env_float("SCHEDULER_MISFIRE_GRACE_HOURS", 6.0)
        self.SCHEDULER_LOCK_LEASE_SECONDS = env_int("SCHEDULER_LOCK_LEASE_SECONDS", 60)
        self.SCHEDULER_LOCK_RETRY_SECONDS = env_float("SCHEDULER_LOCK_RETRY_SECONDS", 15.0)
        # 评选: admins are shown bursts of at least this many votes for one entry from one
        # department within this many minutes.
        self.VOTE_BURST_THRESHOLD = env_int("VOTE_BURST_THRESHOLD", 10)
        self.VOTE_BURST_MINUTES = env_int("VOTE_BURST_MINUTES", 10)

        # Web console (/console): session lifetime, password-failure limits, WeCom sign-in pages.
        self.CONSOLE_IDLE_MINUTES = env_int("CONSOLE_IDLE_MINUTES", 30)
        self.CONSOLE_SESSION_HOURS = env_int("CONSOLE_SESSION_HOURS", 12)
        self.CONSOLE_LOGIN_FAILURES_PER_ACCOUNT = env_str("CONSOLE_LOGIN_FAILURES_PER_ACCOUNT", "5/15 minutes")
        self.CONSOLE_LOGIN_FAILURES_PER_ADDRESS = env_str("CONSOLE_LOGIN_FAILURES_PER_ADDRESS", "50/15 minutes")
        # The dashboard's department statistics are recomputed at most this often per process (0: always).
        self.CONSOLE_DASHBOARD_CACHE_SECONDS = env_int("CONSOLE_DASHBOARD_CACHE_SECONDS", 30)
        # Where browsers go for WeCom's QR login and OAuth pages; empty: WeCom's own hosts (or
        # WECHAT_API_BASE when that is set, so the sandbox plays them offline).
        self.WECOM_LOGIN_BASE = env_str("WECOM_LOGIN_BASE").rstrip("/")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", self.APP_ENV == "production")

        for key, value in overrides.items():
            setattr(self, key, value)

    # Flask-SQLAlchemy reads this name; DATABASE_URL is the name operators set.
    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str:  # noqa: N802 (Flask setting name)
        return self.DATABASE_URL

    def validate(self) -> None:
        """Refuse settings that would do harm; environments add their own checks."""
        for name in ("API_SESSION_RETENTION_DAYS", "WECOM_INBOUND_RETENTION_DAYS"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1 (days), got {getattr(self, name)!r}")
        if self.BIND_BY_NAME not in ("open", "approval", "off"):
            raise ConfigError(f"BIND_BY_NAME must be open, approval or off, got {self.BIND_BY_NAME!r}")
        if not 1 <= self.WISH_CLAIM_LIMIT <= MAX_CLAIM_LIMIT:
            raise ConfigError(f"WISH_CLAIM_LIMIT must be between 1 and {MAX_CLAIM_LIMIT}, got {self.WISH_CLAIM_LIMIT!r}")
        if self.APP_ENV not in DEVELOPMENT_ENVIRONMENTS and self.SECRET_KEY in REPOSITORY_SECRET_KEYS:
            raise ConfigError(
                "Refusing to start: SECRET_KEY is a value from the repository; it is allowed only with "
                "APP_ENV=development or APP_ENV=testing."
            )

    def as_flask_config(self) -> dict[str, object]:
        names = {name for name in dir(self) if name.isupper()}
        return {name: getattr(self, name) for name in names}


class DevelopmentConfig(Config):
    APP_ENV = "development"
    DEBUG = True


class TestingConfig(Config):
    __test__ = False  # not a pytest test class

    APP_ENV = "testing"
    TESTING = True

    def __init__(self, **overrides: object) -> None:
        super().__init__(**overrides)
        if "RATELIMIT_STORAGE_URI" not in overrides:
            self.RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    APP_ENV = "production"

    def validate(self) -> None:
        super().validate()
        if (problem := secret_key_problem(self.SECRET_KEY)) is not None:
            raise ConfigError(
                f"Production refuses to start: {problem}. Set SECRET_KEY to a random value of at least "
                f"{SECRET_KEY_MIN_LENGTH} characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            )
        if not self.CHECKIN_URL_BASE.startswith("https://"):
            raise ConfigError("Production refuses to start: CHECKIN_URL_BASE must be an https:// address.")
        if self.RATELIMIT_STORAGE_URI.startswith("memory://") and not self.RATELIMIT_ALLOW_PER_PROCESS:
            raise ConfigError(
                "Production refuses to start: rate limits in memory:// are counted by each worker alone. "
                "Set REDIS_URL (or RATELIMIT_STORAGE_URI), or accept per-process limits with "
                "RATELIMIT_ALLOW_PER_PROCESS=1."
            )
        if self.WECHAT_API_BASE and not self.WECHAT_API_BASE.startswith("https://") and not self.WECHAT_API_BASE_ALLOW_HTTP:
            raise ConfigError(
                "Production refuses to start: WECHAT_API_BASE must be an https:// address (leave it empty for "
                "the official hosts), or set WECHAT_API_BASE_ALLOW_HTTP=1 for a plain-HTTP forward proxy."
            )


ENVIRONMENTS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> Config:
    """The settings of the environment ``APP_ENV`` names; unset means production, whose checks then apply
    (development and testing, which allow the repository's placeholder key, must be asked for)."""
    name = env_str("APP_ENV", "production").lower()
    try:
        return ENVIRONMENTS[name]()
    except KeyError as exc:
        raise ConfigError(f"APP_ENV must be one of {sorted(ENVIRONMENTS)}, got {name!r}") from exc
