"""One background thread that runs a loader's calls in order, so reading input overlaps with the database.

A destination spends its time in two places: Python turning lines into batches, and the engine loading them.
The engine releases the GIL while it works (a COPY, an INSERT ... SELECT), so running loader calls on a second
thread lets the reader parse the next batch on the other core meanwhile. Order is what keeps the protocol's
promises: calls run strictly in submission order, a state is echoed by the job that commits it, and after the
first failure no later job runs, so nothing is committed or echoed past a failed batch. At most `depth` jobs
wait, which bounds memory to that many batches besides the one being read.
"""

from __future__ import annotations

import queue
import threading

from dockyard_runtime.destination.loader import Job


class OrderedWorker:
    """Runs submitted jobs one at a time, in order; the first error is re-raised in the submitting thread."""

    def __init__(self, depth: int = 1, name: str = "dockyard-loader") -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None  # the first failure, raised in the submitting thread
        self._failed = False  # never reset: once a job failed, no later job runs
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if not self._failed:  # after a failure, later jobs must not commit or echo anything
                    job()
            except BaseException as exc:  # handed to the submitting thread, which raises it
                self._failed = True
                self._error = exc
            finally:
                self._jobs.task_done()

    def _raise_failure(self) -> None:
        if self._error is not None:  # raised again on every later call: no job after it will ever run
            raise self._error

    def submit(self, job: Job) -> None:
        """Queue `job` (waiting while the queue is full); raises the error of an earlier job instead."""
        self._raise_failure()
        self._jobs.put(job)

    def drain(self) -> None:
        """Wait until every submitted job has run; raises the first error any of them raised."""
        self._jobs.join()
        self._raise_failure()

    def close(self) -> None:
        """Stop the thread after the queued jobs (skipped if one failed); never raises, as it runs while errors
        unwind."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
