"""Thread counts for the model and FAISS, set in the thread where the work runs.

torch and FAISS share one OpenMP runtime here, and OpenMP's thread count is a per-thread
setting (each Python thread has its own; a new thread starts from the last value any
thread set). So a count is never set as a side effect and never "restored": each kind of
work sets its own right before it runs, in its own thread —

- a question (encoding and FAISS search): one thread; for a dozen tokens a second thread only
  adds synchronisation, and on a busy machine made the median 5x slower (bench/latency.py);
- passages (an add): every core this process may use.

Overlapping questions and adds in other threads therefore cannot leave an add on one core.

A question encoded in numpy (index.npbert) sets no count: its products run on OpenBLAS's one-thread
path, and on two threads (npbert's own helper thread, which sleeps between products) only while the
machine has a core to spare (`for_numpy_question`).
"""

from __future__ import annotations

import os


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def use(n: int) -> None:
    """Run this thread's torch (and OpenMP) work on `n` threads; cheap when already set."""
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def for_passages() -> int:
    n = cores()
    use(n)
    return n


def for_question() -> None:
    use(1)


def for_numpy_question(busy: bool = False) -> int:
    """Threads for a question encoded in numpy: 2 when this process may use two cores, encodes no passages
    (`busy`) and the machine's load (1-minute average, this process included) leaves a core idle; else 1.
    On a busy machine a second thread only waits for a core (bench/README.md, issue 12e)."""
    n = cores()
    if n < 2 or busy:
        return 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 1
    return 2 if load < n - 0.5 else 1
