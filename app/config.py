"""Settings, read once from the environment and `.env` (SPEC §8), validated at start."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LINE_API_DEFAULT = "https://api.line.me"
LINE_DATA_API_DEFAULT = "https://api-data.line.me"
# Development credentials shared with the embedded LINE emulator; refused in production.
DEV_CHANNEL_SECRET = "dev-channel-secret"
DEV_ACCESS_TOKEN = "dev-access-token"
DEV_ADMIN_TOKEN = "dev-admin-token"


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path('var') / 'rongtuk.sqlite3'}"


def parse_crontab(expr: str, tz: ZoneInfo, *, setting: str = "crontab") -> CronTrigger:
    """A standard five-field crontab ("30 8 * * mon") as an APScheduler trigger in `tz`.

    Days of the week must be names (mon … sun) or `*`: APScheduler 3 counts 0 as Monday where
    crontab counts 0 as Sunday, so a number would silently run on the wrong day."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"{setting}={expr!r} is not a crontab: it needs five fields, "
                         "'minute hour day month weekday' (e.g. '30 8 * * mon')")
    if any(ch.isdigit() for ch in fields[4]):
        raise ValueError(f"{setting}={expr!r}: write the weekday as a name (mon, tue, … sun, or mon-fri), "
                         "not a number (APScheduler 3 counts 0 as Monday, crontab as Sunday)")
    try:
        return CronTrigger.from_crontab(expr, timezone=tz)
    except ValueError as exc:
        raise ValueError(f"{setting}={expr!r} is not a valid crontab "
                         f"('minute hour day month weekday', e.g. '30 8 * * mon'): {exc}") from exc


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production"] = Field("development", alias="RONGTUK_ENV")
    database_url: str = Field(default_factory=_default_database_url)
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_base_url: str = LINE_API_DEFAULT
    # Message content (images people send) comes from LINE's data host, not the API host.
    line_data_api_base_url: str = LINE_DATA_API_DEFAULT
    admin_api_token: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Bangkok"

    # Embedded LINE emulator (development only): mounted in the service at this path when the
    # LINE API base URL is left at LINE's own and no channel credentials are given.
    embedded_emulator_path: str = "/line-emulator"

    # Webhook
    webhook_max_body_bytes: int = 1_000_000

    # Inbox worker: how long a claimed event is ours, how often it is tried.
    inbox_batch_size: int = 20  # per claim when the worker is run by hand (run_once)
    # Events worked at once, of different chats (a chat's events go one at a time).
    inbox_concurrency: int = Field(20, gt=0)
    # Events of different chats that are ready together are handled in one transaction, up to
    # this many (app/pipeline/group_commit.py): a transaction's cost is shared. On SQLite the webhook's
    # INSERT waits for the transaction in progress, so a group stays small.
    inbox_group_max: int = Field(8, gt=0)
    # An event is worked once every web replica has stored what it received until this long after
    # the event arrived, so that an earlier event of its chat that LINE sent a moment later, to
    # another replica, goes first (app/pipeline/inbox.py, ORDERING): the spread of arrivals, not of storing.
    inbox_order_window_seconds: float = Field(0.02, ge=0)
    # Each web process publishes its intake mark this often (app/pipeline/intake.py); a mark not updated
    # for the stale limit is a replica that is gone, and the inbox no longer waits for it.
    intake_mark_interval_seconds: float = Field(0.025, gt=0, le=1)
    intake_mark_stale_seconds: float = Field(3.0, gt=0)
    inbox_lease_seconds: float = 60.0
    inbox_max_attempts: int = 6
    inbox_retry_base_seconds: float = 2.0
    worker_poll_seconds: float = 1.0

    # Outbox sender: up to this many chats served at once, each chat's messages in order; a chat's
    # oldest unsent message and the pushes due behind it are claimed together, this many at most.
    outbox_concurrency: int = Field(32, gt=0)
    outbox_chain_max: int = Field(8, gt=0)
    outbox_lease_seconds: float = 30.0
    outbox_retry_base_seconds: float = 1.0
    outbox_retry_max_seconds: float = 600.0
    # LINE keeps a retry key 24 h; past this age a message can no longer be retried safely.
    outbox_give_up_after_seconds: float = 23 * 3600
    line_request_timeout_seconds: float = 10.0
    # LINE accepts a reply token for about a minute; past this we push instead.
    reply_token_fresh_seconds: float = 50.0
    # A reply retried after no answer asks LINE whether the token is spent: it waits this long.
    # A reply row's lease is its call's timeout plus a little, so that after a crash the retry
    # comes while the token is fresh.
    reply_probe_timeout_seconds: float = 20.0
    # When sends to at least this many chats fail in a row (LINE is down, not one chat), the first
    # success afterwards brings every message waiting in backoff forward; meanwhile one message
    # is tried at least this often, so the end of the outage is seen.
    outbox_outage_chats: int = Field(3, gt=0)
    outbox_outage_probe_seconds: float = 2.0
    # How far ahead of our clock LINE's event timestamp may be before it is taken for a wrong one.
    line_clock_skew_seconds: float = 60.0

    # Invites
    invite_valid_days: int = 7

    # Coordination (SPEC §4): after ตอบกลับ / เสร็จแล้ว / อื่นๆ, how long the next messages count
    # as the answer.
    reply_window_seconds: int = 600
    # Default SLA (SPEC §5): normal — acknowledge within 4 business hours, resolve within 15
    # calendar days; urgent — acknowledge within 30 wall-clock minutes, resolve within 3 days.
    sla_normal_ack_business_hours: float = 4.0
    sla_normal_resolve_days: float = 15.0
    sla_urgent_ack_minutes: float = 30.0
    sla_urgent_resolve_days: float = 3.0
    # Business calendar: BMA office hours, Asia/Bangkok
    office_opens: str = "08:30"
    office_closes: str = "16:30"
    # Innovation KPI (SPEC §7): the rubric file; empty = the shipped app/data/kpi_rubric.yaml
    kpi_rubric_path: Path | None = None

    # Dashboard (/dashboard): a one-time sign-in link from LINE (`แดชบอร์ด`) works this long; a
    # session cookie lasts this long. The cookie is signed with a key derived from ADMIN_API_TOKEN,
    # so changing the token signs everyone out.
    dashboard_link_minutes: int = Field(15, gt=0)
    dashboard_session_hours: float = Field(8.0, gt=0)
    # Whole-year and quarter figures are precomputed this often (job `dashboard-snapshots`) and the
    # pages read them while fresh; 0 = no snapshots, every page computes live.
    dashboard_snapshot_minutes: int = Field(15, ge=0)

    # Personal data (PDPA): complainant contact is erased this many days after a case closes.
    pii_retention_days: int = 365

    # Where the inbox worker, the outbox sender and (SCHEDULER=embedded) the scheduler run:
    # "process" — `rongtuk serve` starts `rongtuk worker` beside the web process and supervises it;
    # "inline" — inside the web process's event loop (the test harness, `rongtuk demo`);
    # "off" — not here (`rongtuk worker` runs elsewhere). RUN_WORKERS=false, the older setting,
    # still means "off".
    workers: Literal["process", "inline", "off"] = "process"
    run_workers: bool = True
    # Who holds a lease (claimed_by): stable across the worker's restarts, so a worker that starts
    # again releases at once what it held when it died. Empty: this host and the serving port (or
    # the working directory and database); set it when several workers share a host otherwise.
    worker_id: str = Field("", max_length=100)

    # Scheduler (app/scheduler.py): "embedded" runs the jobs inside `rongtuk serve`, "separate"
    # only in `rongtuk scheduler`, "off" nowhere. Crontabs are read in `timezone`.
    scheduler: Literal["embedded", "separate", "off"] = "embedded"
    sla_scan_seconds: int = Field(60, gt=0)
    digest_daily_cron: str = "30 8 * * *"
    digest_weekly_cron: str = "30 8 * * mon"
    privacy_purge_cron: str = "0 2 * * *"
    # A cron run missed while nothing was running is made up at start if it is at most this old;
    # an older one is news no longer (a digest from two days ago).
    catch_up_hours: float = Field(12.0, ge=0)

    log_json: bool = True
    log_level: str = "INFO"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """Today's date where the service works (Asia/Bangkok)."""
        return datetime.now(self.tz).date()

    @property
    def line_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.line_clock_skew_seconds)

    @property
    def worker_mode(self) -> Literal["process", "inline", "off"]:
        return self.workers if self.run_workers else "off"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    _embedded_emulator: bool = PrivateAttr(False)

    @property
    def uses_embedded_emulator(self) -> bool:
        return self._embedded_emulator

    @model_validator(mode="after")
    def _check(self) -> Settings:
        ZoneInfo(self.timezone)  # unknown zone → clear error at start
        for name in ("digest_daily_cron", "digest_weekly_cron", "privacy_purge_cron"):
            parse_crontab(getattr(self, name), self.tz, setting=name.upper())
        if self.line_api_base_url != LINE_API_DEFAULT and self.line_data_api_base_url == LINE_DATA_API_DEFAULT:
            # A stand-in for LINE (the emulator) serves content on the same host as the API.
            self.line_data_api_base_url = self.line_api_base_url
        if self.intake_mark_stale_seconds < 10 * self.intake_mark_interval_seconds:
            # A replica merely slow to publish (a GC pause, a busy core) must not count as gone.
            raise ValueError("INTAKE_MARK_STALE_SECONDS must be at least 10 × INTAKE_MARK_INTERVAL_SECONDS")
        if self.environment == "production":
            missing = [
                name
                for name, value in (
                    ("LINE_CHANNEL_SECRET", self.line_channel_secret),
                    ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token),
                    ("ADMIN_API_TOKEN", self.admin_api_token),
                )
                if not value or value.startswith("dev-") or value == "changeme"
            ]
            if missing:
                raise ValueError(
                    "production mode needs real values for: " + ", ".join(missing)
                    + " (see .env.example)"
                )
        else:
            self._embedded_emulator = (
                self.line_api_base_url == LINE_API_DEFAULT
                and not self.line_channel_secret
                and not self.line_channel_access_token
            )
            # Development: fall back to the credentials the embedded emulator expects.
            self.line_channel_secret = self.line_channel_secret or DEV_CHANNEL_SECRET
            self.line_channel_access_token = self.line_channel_access_token or DEV_ACCESS_TOKEN
            self.admin_api_token = self.admin_api_token or DEV_ADMIN_TOKEN
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
