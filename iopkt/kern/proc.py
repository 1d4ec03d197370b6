"""The stack context: io-pkt's one token that stack code must hold.

io-pkt runs all protocol and driver code in "stack context": one pseudo-thread
(a ``Proc``) at a time holds it, and ``ltsleep`` hands it to another instead of
blocking. Register I/O does not give it up (on hardware a register access is
an instruction), so a driver that busy-waits holds up every interface.
"""

from __future__ import annotations

from collections import deque

from .diag import StackContextError


class Proc:
    """A pseudo-thread (or io-pkt thread) that can own the stack context."""

    def __init__(self, name: str, is_proc0: bool = False):
        self.name = name
        self.is_proc0 = is_proc0

    def __repr__(self) -> str:
        return f"<Proc {self.name}>"


class StackContext:
    """A FIFO hand-off lock: release gives the token straight to the next waiter."""

    def __init__(self, platform):
        self._platform = platform
        self.owner: Proc | None = None
        self._waiters: deque[tuple[Proc, object]] = deque()
        self.handoffs = 0

    async def acquire(self, proc: Proc) -> None:
        # proc0 is shared by every callout, so two callouts may both want it.
        if self.owner is proc and not proc.is_proc0:
            raise StackContextError(f"{proc.name} already holds the stack context")
        if self.owner is None and not self._waiters:
            self.owner = proc
            return
        ev = self._platform.event(f"stack:{proc.name}")
        self._waiters.append((proc, ev))
        try:
            await ev.wait()
        except BaseException:
            # Cancelled while queued (a callout reset, a killed task): leave the
            # queue, or pass on a hand-off that already reached us, so the
            # context is never left to a task that will not run again.
            if ev.is_set() and self.owner is proc:
                self.release(proc)
            elif (proc, ev) in self._waiters:
                self._waiters.remove((proc, ev))
            raise
        assert self.owner is proc

    def release(self, proc: Proc) -> None:
        if self.owner is not proc:
            raise StackContextError(f"{proc.name} released the stack context held by {self.owner}")
        self.handoffs += 1
        if self._waiters:
            nxt, ev = self._waiters.popleft()
            self.owner = nxt
            ev.set()
        else:
            self.owner = None

    def require(self, what: str) -> Proc:
        """The current owner, or an error naming ``what`` was called outside stack context."""
        if self.owner is None:
            raise StackContextError(f"{what} called outside stack context")
        return self.owner
