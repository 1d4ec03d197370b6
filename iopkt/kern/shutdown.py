"""Shutdown hooks: run last-in first-out when io-pkt exits (or crashes)."""

from __future__ import annotations

import inspect


class ShutdownHook:
    def __init__(self, fn, arg):
        self.fn = fn
        self.arg = arg


def shutdownhook_establish(iopkt, fn, arg) -> ShutdownHook:
    hook = ShutdownHook(fn, arg)
    iopkt.shutdown_hooks.append(hook)
    return hook


def shutdownhook_disestablish(iopkt, hook: ShutdownHook) -> None:
    iopkt.shutdown_hooks.remove(hook)


async def run_shutdown_hooks(iopkt) -> None:
    while iopkt.shutdown_hooks:
        hook = iopkt.shutdown_hooks.pop()
        r = hook.fn(hook.arg)
        if inspect.isawaitable(r):
            await r
