"""The page-reading engine `refresh` and `cart add` share: many pages at once, politely.

At most WORKERS reads in flight, and at most PER_HOST (2) on any one host. The
caller's thread schedules: a read is handed to a worker thread only when both
limits allow it, so no worker ever sits waiting for a host. A page that
answers 429 or 503 with a Retry-After of at most MAX_RETRY_AFTER seconds is
read again once that time has passed, if that is before the run's deadline;
otherwise it fails for this run. Results come back to the caller's thread one
by one, as they arrive (`read_all` is a generator; results that arrived while
the caller was busy come together, so it can write them in one transaction),
so the caller can write each one before the next arrives. Worker threads are daemons: Ctrl-C (or the
caller stopping early) never waits for a slow page.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ishop4u_cli.stores.urls import host_of

PER_HOST = 2
MAX_RETRY_AFTER = 60.0  # seconds; a store asking for longer fails the page for this run
MAX_ATTEMPTS = 4  # reads of one page in one run (the first and up to three retries)
# Results handed back at once, at most: those that arrived while the last ones were written.
BATCH = 16
OUT_OF_TIME = "not read: the refresh ran out of time"


@dataclass(frozen=True)
class Job:
    """One page to read: KEY is the caller's (a product id, a URL)."""

    key: Any
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What READ gave for a job (pages.Checked or anything the caller's READ returns)."""

    job: Job
    result: Any


# READ(job, deadline) -> a result; RETRY(result) -> seconds to wait before reading again, or None.
Read = Callable[[Job, float], Any]
Retry = Callable[[Any], float | None]


def read_all(
    jobs: Sequence[Job],
    read: Read,
    *,
    workers: int,
    deadline: float,
    retry: Retry | None = None,
    give_up: Callable[[Job, Any, str], Any],
) -> Iterator[list[Outcome]]:
    """The jobs' outcomes, in the order they finish, in lists of those that arrived together
    (at most BATCH; never waiting for more); every job gives exactly one.

    READ runs in worker threads, with the run's DEADLINE (a monotonic time) to end by.
    When RETRY says a result asks to wait, the job is read again after that wait if it
    is at most MAX_RETRY_AFTER and ends before DEADLINE; else GIVE_UP(job, last result,
    why) is its outcome, as it is for a job never started by DEADLINE (last result None).
    """
    if not jobs:
        return
    workers = max(1, min(workers, len(jobs)))
    tasks: queue.SimpleQueue[tuple[Job, int] | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[Job, int, Any]] = queue.SimpleQueue()
    waiting: dict[str, deque[tuple[Job, int]]] = {}  # by host, in the order given
    for job in jobs:
        waiting.setdefault(host_of(job.url), deque()).append((job, 1))
    later: list[tuple[float, int, Job, int]] = []  # (when, tie-breaker, job, attempt)
    order = itertools.count()
    running: dict[str, int] = {}
    in_flight = 0
    left = len(jobs)

    def work() -> None:
        while (task := tasks.get()) is not None:
            job, attempt = task
            try:
                result = read(job, deadline)
            except Exception as exc:  # a bug in READ must not hang the run
                result = exc
            done.put((job, attempt, result))

    threads = [threading.Thread(target=work, name=f"page-reader-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        while left:
            now = time.monotonic()
            while later and later[0][0] <= now:
                _, _, job, attempt = heapq.heappop(later)
                waiting.setdefault(host_of(job.url), deque()).appendleft((job, attempt))
            if now >= deadline:  # nothing new starts; what runs ends by the deadline itself
                late = [job for host in list(waiting) for job, _ in waiting.pop(host)]
                late += [heapq.heappop(later)[2] for _ in range(len(later))]
                if late:
                    left -= len(late)
                    yield [Outcome(job, give_up(job, None, OUT_OF_TIME)) for job in late]
                if not left:
                    break
            # Hosts with the most pages left go first: a host left for the end reads 2 at a time.
            for host in sorted(waiting, key=lambda h: len(waiting[h]), reverse=True):
                while in_flight < workers and running.get(host, 0) < PER_HOST and waiting[host]:
                    tasks.put(waiting[host].popleft())
                    running[host] = running.get(host, 0) + 1
                    in_flight += 1
                if not waiting[host]:
                    del waiting[host]
            if not in_flight and not waiting and not later:
                break
            wait = max(0.0, deadline - now)
            if later:
                wait = min(wait, max(0.0, later[0][0] - now))
            try:
                arrived = [done.get(timeout=max(0.01, wait) if in_flight else max(0.0, wait))]
            except queue.Empty:
                continue
            with contextlib.suppress(queue.Empty):
                while len(arrived) < BATCH:  # what else has arrived meanwhile: written together
                    arrived.append(done.get_nowait())
            finished: list[Outcome] = []
            for job, attempt, result in arrived:
                host = host_of(job.url)
                running[host] -= 1
                in_flight -= 1
                if isinstance(result, Exception):
                    why = f"could not read the page ({type(result).__name__})"
                    finished.append(Outcome(job, give_up(job, None, why)))
                    continue
                seconds = retry(result) if retry is not None else None
                if seconds is None:
                    finished.append(Outcome(job, result))
                    continue
                why = _why_not_again(seconds, attempt, time.monotonic(), deadline)
                if why is None:
                    heapq.heappush(later, (time.monotonic() + seconds, next(order), job, attempt + 1))
                else:
                    finished.append(Outcome(job, give_up(job, result, why)))
            if finished:
                left -= len(finished)
                yield finished
    finally:
        for _ in threads:
            tasks.put(None)  # idle workers end; busy ones end after their read (daemons: never waited for)


def _why_not_again(seconds: float, attempt: int, now: float, deadline: float) -> str | None:
    """Why a page asking to be read again in SECONDS is not (None: it is)."""
    if seconds > MAX_RETRY_AFTER:
        return f"the store asked to come back in {seconds:.0f} s (more than {MAX_RETRY_AFTER:.0f} s)"
    if attempt >= MAX_ATTEMPTS:
        return f"the store still asked to come back after {attempt} tries"
    if now + seconds >= deadline:
        return f"the store asked to come back in {seconds:.0f} s, after the refresh's time limit"
    return None
