"""A datagram receive queue with a blocking, timed ``get`` (NetBSD's
``sockbuf`` reduced to what a datagram socket and ping need)."""

from __future__ import annotations

from collections import deque


class SockBuf:
    def __init__(self, platform, name: str, limit: int = 64):
        self.platform = platform
        self.limit = limit
        self._q: deque = deque()
        self._ready = platform.event(f"sockbuf:{name}")

    def __len__(self) -> int:
        return len(self._q)

    def __iter__(self):
        """The queued items, oldest first (netstat's Recv-Q), without taking them."""
        return iter(list(self._q))

    def append(self, item) -> bool:
        """Queue ``item``; False (and nothing queued) when the buffer is full."""
        if len(self._q) >= self.limit:
            return False
        self._q.append(item)
        self._ready.set()
        return True

    async def get(self, timeout_ns: int | None = None, intr=None):
        """The oldest item, waiting up to ``timeout_ns`` (forever if None); None on
        timeout, or at once when ``intr`` (a ``kern.sig.SigInt``) is raised, as
        a blocked ``recvfrom`` returns ``EINTR``."""
        deadline = None if timeout_ns is None else self.platform.now_ns() + timeout_ns
        if intr is None:
            return await self._get(deadline, None)
        intr.watch(self._ready)
        try:
            return await self._get(deadline, intr)
        finally:
            intr.unwatch(self._ready)

    async def _get(self, deadline: int | None, intr):
        while not self._q:
            if intr is not None and intr.raised:
                return None
            if deadline is None:
                self._ready.clear()
                await self._ready.wait()
                continue
            left = deadline - self.platform.now_ns()
            if left <= 0:
                return None
            self._ready.clear()
            alarm = self.platform.spawn(_alarm(self.platform, self._ready, left), "sockbuf-timeout")
            await self._ready.wait()
            alarm.cancel()
        return self._q.popleft()


async def _alarm(platform, ev, ns: int) -> None:
    await platform.sleep(ns)
    ev.set()
