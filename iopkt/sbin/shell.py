"""A tiny shell for the utilities: ``await run_command(target, "ping -c 3 10.0.0.2")``.

It echoes the command as a QNX root shell shows it (``# ping -c 3 10.0.0.2``),
runs the utility named by ``argv[0]`` against one io-pkt, and returns what it
printed with its exit status. ``target`` is an ``IoPkt``, or a mapping of host
names to ``IoPkt``s with ``host=`` choosing one (the prompt then names it).
``intr=`` (a ``kern.sig.SigInt``) is the terminal's Ctrl-C for the command:
utilities that handle SIGINT (``SIGINT_HANDLED``) are given it; the others
run to their end, as a process that ignores SIGINT does.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import arp, ifconfig, mount, netstat, nicinfo, pidin, ping, udp
from .output import line_writer


async def _without_value(main, iopkt, argv, out):
    return await main(iopkt, argv, out), None


COMMANDS = {
    "ifconfig": lambda iopkt, argv, out: _without_value(ifconfig.main, iopkt, argv, out),
    "ping": ping.run,
    "arp": lambda iopkt, argv, out: _without_value(arp.main, iopkt, argv, out),
    "netstat": lambda iopkt, argv, out: _without_value(netstat.main, iopkt, argv, out),
    "mount": lambda iopkt, argv, out: _without_value(mount.mount_main, iopkt, argv, out),
    "umount": lambda iopkt, argv, out: _without_value(mount.umount_main, iopkt, argv, out),
    "nicinfo": lambda iopkt, argv, out: _without_value(nicinfo.main, iopkt, argv, out),
    "pidin": lambda iopkt, argv, out: _without_value(pidin.main, iopkt, argv, out),
    "udpsend": lambda iopkt, argv, out: _without_value(udp.send_main, iopkt, argv, out),
    "udprecv": udp.recv_run,
}
# the utilities that take the command's SigInt (``intr=``); the others finish in microseconds of simulated time
SIGINT_HANDLED = {"ping", "udprecv"}


@dataclass
class CommandResult:
    command: str
    status: int
    lines: list[str] = field(default_factory=list)  # the prompt line first
    value: Any = None  # what the utility hands back besides text (ping: a PingResult)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def output(self) -> list[str]:
        """The utility's lines without the echoed command."""
        return self.lines[1:]


async def run_command(target, line: str, out=None, host: str | None = None, intr=None) -> CommandResult:
    if isinstance(target, Mapping):
        if host is None:
            host = next(iter(target))
        if host not in target:
            raise KeyError(f"run_command: no host {host!r} (have {', '.join(target)})")
        iopkt, prompt = target[host], f"{host}# "
    else:
        iopkt, prompt = target, "# "
    result = CommandResult(line, 0)
    forward = line_writer(out)

    def emit(text: str) -> None:
        for piece in text.split("\n"):
            result.lines.append(piece)
            forward(piece)

    emit(prompt + line)
    try:
        argv = shlex.split(line)
    except ValueError as e:
        emit(f"sh: syntax error: {e}")
        result.status = 2
        return result
    if not argv:
        return result
    cmd = COMMANDS.get(argv[0])
    if cmd is None:
        emit(f"sh: {argv[0]}: not found")
        result.status = 127
        return result
    if intr is not None and argv[0] in SIGINT_HANDLED:
        result.status, result.value = await cmd(iopkt, argv, emit, intr=intr)
    else:
        result.status, result.value = await cmd(iopkt, argv, emit)
    return result
