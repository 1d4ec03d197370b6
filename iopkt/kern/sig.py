"""SIGINT for a command a shell runs (NetBSD ``kern_sig.c`` reduced to the
one signal a terminal sends): the shell raises it when the person presses
Ctrl-C; a utility that handles it (ping: stop sending, print the statistics)
looks at ``raised``, and a call blocked on its behalf returns early, as a
blocked system call returns ``EINTR``."""

from __future__ import annotations


class SigInt:
    """One command's interrupt: ``raise_()`` marks it and wakes every event
    a blocked call registered with ``watch(event)`` (any platform ``Event``);
    ``unwatch(event)`` when the call returns. Raising twice is the same as once."""

    def __init__(self):
        self.raised = False
        self._blocked: list = []

    def raise_(self) -> None:
        self.raised = True
        for event in list(self._blocked):
            event.set()

    def watch(self, event) -> None:
        self._blocked.append(event)

    def unwatch(self, event) -> None:
        if event in self._blocked:
            self._blocked.remove(event)
