"""Schedules → runs: the scheduler's `tick(now)`, slot arithmetic (cron, interval, RRULE) and
deployments with fully checked schedules and backfills."""

from legato.scheduling.scheduler import Scheduler, TickResult

__all__ = ["Scheduler", "TickResult"]
