"""Wires the scheduler (schedules/) into the running bot: one call from each way of running it.

`attach_scheduler(app, settings)` registers the tick hook (transcripts and tests move a manual
clock and call `app.tick()`), and with `live=True` also starts APScheduler for real time.
Its passes prune through a `FileShelf` on the app's files folder, so that the copies of expired
file links go with their rows.
"""

from __future__ import annotations

from bot.app import Chibo
from bot.files import FileShelf, links_directory
from bot.settings import Settings
from schedules.dispatcher import DispatchConfig
from schedules.driver import Scheduler, SchedulerConfig
from schedules.ratelimit import RateLimiter

# Channels that deliver locally (terminal, tests): no platform limits to respect.
LOCAL_PLATFORMS = ("console", "memory")


def scheduler_config(settings: Settings) -> SchedulerConfig:
    return SchedulerConfig(
        timezone=settings.timezone,
        lease_seconds=settings.dispatcher_lease_seconds,
        poll_seconds=settings.scheduler_poll_seconds,
        in_flight=settings.dispatcher_in_flight,
        late_grace_minutes=settings.reminder_grace_minutes,
        dispatch=DispatchConfig(),
    )


# Seconds added to each platform's one-second window. Each departure is dated by its answer too
# (schedules/ratelimit.py), so the trips' jitter is mostly accounted for already: the margin covers
# what the fastest trip seen misjudges. 30 departures in 1.005 s: 29.7/s at Telegram's servers
# where 28/s was the setting before (bench/bench_fanout.py). A 429 widens it for a while.
WINDOW_MARGIN = 0.005
MAX_MARGIN = 0.1


class Limiters:
    """One rate limiter per platform: Telegram's rate, `<platform>_rate_limit` when the settings
    have one (e.g. `zalo_rate_limit`), otherwise the default rate. A rate is the platform's own
    limit (messages in any second at its servers): the limiter keeps the margin itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[str, RateLimiter | None] = {}

    def rate(self, platform: str) -> float | None:
        if platform in LOCAL_PLATFORMS:
            return None
        value = getattr(self.settings, f"{platform}_rate_limit", None)
        return float(value) if value else self.settings.default_rate_limit

    def __call__(self, platform: str) -> RateLimiter | None:
        if platform not in self._made:
            rate = self.rate(platform)
            self._made[platform] = RateLimiter(rate, self.settings.chat_interval_seconds, margin=WINDOW_MARGIN,
                                               max_margin=MAX_MARGIN) if rate else None
        return self._made[platform]


def attach_scheduler(app: Chibo, settings: Settings | None = None, *, live: bool = False) -> Scheduler:
    """Register the scheduler's tick hook on `app`; with `live`, also run it in real time."""
    settings = settings or Settings.model_construct()
    shelf = FileShelf(app.db, links_directory(app.settings.files_dir), settings.public_url, app.clock)
    scheduler = Scheduler(app.db, app.channels, app.clock.now, scheduler_config(settings), Limiters(settings),
                          prune=shelf.prune)
    app.tick_hooks.append(scheduler.advance)
    if live:
        scheduler.start()
    return scheduler
