"""A drain signal that arrives while workers start is handled once they have started, never lost.

The orchestrator has threads of its own then (the event tail, the staging index's server): a
process-directed signal goes to whichever thread does not block it, so ignoring it anywhere in
the process for the start-up window would drop it there.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import pytest

from releasekit.engine.runcontrol import DRAINING_SIGNALS
from releasekit.engine.workers import signals_held_off


@pytest.mark.parametrize("signum", DRAINING_SIGNALS)
def test_a_signal_during_worker_start_up_reaches_the_handler_with_other_threads_running(signum: int) -> None:
    received: list[int] = []

    def handler(number: int, frame: FrameType | None) -> None:
        received.append(number)

    previous = signal.signal(signum, handler)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # a thread that does not block the signal
    other.start()
    try:
        with signals_held_off():
            os.kill(os.getpid(), signum)
            stop.wait(0.2)  # time for the kernel to deliver it to the other thread
        for _ in range(100):  # Python runs handlers between bytecodes of the main thread
            if received:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        other.join()
        signal.signal(signum, previous)
    assert received == [signum]
