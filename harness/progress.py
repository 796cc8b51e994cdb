"""Progress of the stages that take a while: translating (per language), aligning, summarizing.

Where a person watches (stderr is a terminal), a live bar per stage: items done out of the total, the
generation speed in tokens/s (the model load left out; live within a batch where the runtime streams its
tokens) and an ETA; before the first tokens, what is happening instead (`activity`: loading the model, a
one-time conversion), so that a bar never sits without a rate and without a word. Everywhere else (CI, a piped
stderr, run.log) a plain log line every PROGRESS_SECONDS instead, so that a long stage never looks hung and a
log never fills with bar redraws. A stage
that took more than a moment ends with one log line (count, time, speed), which run.log keeps either way.
--quiet (warnings and errors only on the console) draws no bar and prints no progress line; run.log keeps them.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:   # tqdm is imported when a bar is drawn: quiet_library_bars must come before its first import
    from tqdm import tqdm

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 10   # without a bar: a log line at most this often while a stage advances ...
HEARTBEAT_SECONDS = 60  # ... and this often while it does not (a model loading, one long batch)
MOMENT_SECONDS = 1.0    # a stage quicker than this shows no bar and logs no closing line
BAR_SECONDS = 1.0       # the bar's clock and speed are redrawn this often, even while a long batch runs
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}{postfix}]"
clock = time.monotonic   # the one clock of stages and of the backends' timed blocks (tests put a fake one here)
doing: list[str] = []    # what the process is busy with now, innermost last (activity)
job: list[str] = []      # the sweep job this process runs ("job 2 of 3"), set by the command line
library_bars_quieted = False   # TQDM_DISABLE was set by quiet_library_bars, not by the user


@contextmanager
def activity(what: str) -> Iterator[None]:
    """Say what the process is doing while it does something long that is not translating (loading a model, a
    one-time conversion): logged once, and shown in place of the rate by the bar of the stage that waits on it."""
    log.info("%s%s", "".join(f"{part}: " for part in job), what)
    doing.append(what)
    try:
        yield
    finally:
        doing.remove(what)


def console_shows_info() -> bool:
    """Whether INFO lines reach the console: the root logger passes them and a handler writing to stdout or
    stderr accepts them. --quiet raises that handler to WARNING and leaves run.log as it is."""
    root = logging.getLogger()
    return root.isEnabledFor(logging.INFO) and any(
        getattr(handler, "stream", None) in (sys.stdout, sys.stderr) and handler.level <= logging.INFO
        for handler in root.handlers)


def bars_switched_off() -> bool:
    """TQDM_DISABLE=1 set by the user (tqdm's own switch): no bars, even on a terminal. quiet_library_bars sets it
    too, for the libraries' bars only: it remembers that it did."""
    return os.environ.get("TQDM_DISABLE", "") not in ("", "0", "false", "False") and not library_bars_quieted


def bars_wanted(stream: TextIO | None = None) -> bool:
    """A bar only where a person watches: the stream (stderr) is a terminal, the console shows INFO lines
    (not --quiet), bars are not switched off (TQDM_DISABLE), and this is not a worker of a parallel sweep, whose
    bars would draw over each other's."""
    stream = stream or sys.stderr
    return (stream.isatty() and console_shows_info() and not bars_switched_off()
            and multiprocessing.parent_process() is None)


def quiet_library_bars() -> None:
    """huggingface_hub and transformers draw bars of their own (converting a GGUF file, loading weights,
    downloads), which would interleave with the harness's bar or fill a log; they draw none: the harness's bar
    says what they are doing instead (activity). Their public switches: TQDM_DISABLE, which tqdm reads at its
    first import (hence no tqdm import before this runs) as the default of every bar, for the plain tqdm bars
    inside libraries (the harness's own bar passes disable=False); huggingface_hub's HF_HUB_DISABLE_PROGRESS_BARS,
    which it reads at its import (importing it here would cost a run 50 ms: it imports tqdm.auto and asyncio), and
    which transformers reads from it, or its disable_progress_bars when it is already imported; transformers' own
    when it is already imported. A switch the user set is left as it is."""
    global library_bars_quieted
    if "TQDM_DISABLE" not in os.environ:
        os.environ["TQDM_DISABLE"] = "1"
        library_bars_quieted = True
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars
        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging
        transformers_logging.disable_progress_bar()


def generation_counts(counters: Mapping[str, float]) -> tuple[float, float]:
    """(generated tokens, seconds spent generating) from a backend's stats, so that the speed leaves the model
    load out."""
    return counters.get("generated_tokens", 0), counters.get("generate_seconds", 0.0)


class Progress:
    """One stage: call `advance` as items finish. A ticker thread keeps the bar's clock running (or writes
    the periodic log line) while a model loads or a long batch generates."""

    def __init__(self, label: str, total: int, unit: str, counters: Mapping[str, float]):
        self.label = ", ".join([*job, label])
        self.total, self.unit, self.counters = total, unit, counters
        self.done = 0
        self.started = clock()
        self.counts_before = generation_counts(counters)
        self.bar = self.new_bar() if total and bars_wanted() else None
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self.tick, name=f"progress {label}", daemon=True)

    def new_bar(self) -> tqdm:
        from tqdm import tqdm
        return tqdm(total=self.total, desc=self.label, unit=self.unit, file=sys.stderr, leave=False, disable=False,
                    delay=MOMENT_SECONDS, bar_format=BAR_FORMAT, dynamic_ncols=True)

    def speed(self) -> str:
        """"43 tokens/s" once the backend has generated tokens in this stage; "" for backends that do not count."""
        tokens_before, seconds_before = self.counts_before
        tokens, seconds = generation_counts(self.counters)
        if tokens <= tokens_before or seconds <= seconds_before:
            return ""
        rate = (tokens - tokens_before) / (seconds - seconds_before)
        return f"{rate:.{1 if rate < 10 else 0}f} tokens/s"

    def status(self) -> str:
        """What the bar shows beside the count: what the process is doing (a load, a conversion), else the rate."""
        return doing[-1] if doing else self.speed()

    def speed_note(self) -> str:
        return f" ({self.speed()})" if self.speed() else ""

    def status_note(self) -> str:
        return f" ({self.status()})" if self.status() else ""

    def elapsed(self) -> float:
        return clock() - self.started

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.set_postfix_str(self.status(), refresh=False)
            self.bar.update(count)

    def tick(self) -> None:
        logged_done, logged_at = 0, 0.0
        while not self.stopped.wait(BAR_SECONDS if self.bar is not None else PROGRESS_SECONDS):
            if self.bar is not None and self.elapsed() >= MOMENT_SECONDS:
                self.bar.set_postfix_str(self.status(), refresh=False)
                self.bar.refresh()
            elif self.bar is None and (self.done != logged_done or self.elapsed() - logged_at >= HEARTBEAT_SECONDS):
                logged_done, logged_at = self.done, self.elapsed()
                log.info("%s: %d of %d %s, %.0f s so far%s", self.label, self.done, self.total, self.unit,
                         logged_at, self.status_note())

    def start(self) -> None:
        if self.total:
            self.ticker.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.ticker.is_alive():
            self.ticker.join()
        if self.bar is not None:
            self.bar.close()

    def log_done(self) -> None:
        """The stage's closing line (kept in run.log), when it did work that took more than a moment."""
        if self.done and self.elapsed() >= MOMENT_SECONDS:
            log.info("%s: %d %s in %.0f s%s", self.label, self.done, self.unit, self.elapsed(), self.speed_note())


def console_above_bar(drawing: bool):
    """While a bar is drawn, console log lines go through tqdm so that they print above the bar, not through it."""
    if not drawing:
        return nullcontext()
    from tqdm.contrib.logging import logging_redirect_tqdm
    return logging_redirect_tqdm()


@contextmanager
def progress(label: str, total: int, unit: str = "segments",
             counters: Mapping[str, float] | None = None) -> Iterator[Progress]:
    """Track a stage of `total` items; counters: the backend's stats, for tokens/s."""
    tracker = Progress(label, total, unit, {} if counters is None else counters)   # stats start empty: keep them
    with console_above_bar(tracker.bar is not None):
        tracker.start()
        try:
            yield tracker
        finally:
            tracker.stop()
        tracker.log_done()
