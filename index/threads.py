"""Thread counts for the model and FAISS, set in the thread where the work runs.

torch and FAISS share one OpenMP runtime here, and OpenMP's thread count is a per-thread
setting (each Python thread has its own; a new thread starts from the last value any
thread set). So a count is never set as a side effect and never "restored": each kind of
work sets its own right before it runs, in its own thread —

- a question (encoding and FAISS search): one thread; for a dozen tokens a second thread only
  adds synchronisation, and on a busy machine made the median 5x slower (bench/latency.py);
- passages (an add): every core this process may use.

Overlapping questions and adds in other threads therefore cannot leave an add on one core.
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
