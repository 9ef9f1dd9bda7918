"""Whoosh's multiprocess writer, with sub-processes that die with the process that started them.

A full build analyses articles in several processes (Whoosh's ``MpWriter``; analysis is pure
Python, so one process uses one core). Forked sub-processes inherit the open write-lock file;
if the reindex is killed, orphaned sub-processes would keep the lock held forever. Here each
sub-process asks Linux to kill it when its parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from whoosh.multiproc import MpWriter, SubWriterTask, finish_subsegment

from .segment import BulkSegmentWriter, MemoSegmentWriter

_PR_SET_PDEATHSIG = 1


class _Task(SubWriterTask):
    def run(self) -> None:
        _die_with_parent()
        try:
            self._run()
        except OSError as exc:
            # Disk full or read-only: the parent reports it in one line and discards the
            # build; a traceback from each sub-process would only bury that message.
            sys.stderr.write(f"index writer sub-process stopped: {exc.strerror or exc}\n")
            os._exit(1)

    def _run(self) -> None:
        """``SubWriterTask.run`` with our segment writers."""
        ix = self.storage.open_index(self.indexname)
        # Sub-segments merged by the parent are read back from the sorting pool's runs.
        kind = BulkSegmentWriter if self.multisegment else MemoSegmentWriter
        writer = self.writer = kind(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        if self.multisegment:
            runname, fieldnames = None, writer.pool.fieldnames
            segment = writer._finalize_segment()
        else:
            runname, fieldnames, segment = finish_subsegment(writer, self.kwargs.get("k", 64))
        self.resultqueue.put((runname, fieldnames, segment), timeout=5)


def _die_with_parent() -> None:
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the sub-process can outlive a killed parent
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class ParallelWriter(MpWriter):
    """``MpWriter`` whose sub-writers are :class:`_Task` processes."""

    def _new_task(self) -> SubWriterTask:
        task = _Task(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task
