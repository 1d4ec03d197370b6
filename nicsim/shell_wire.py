"""The line protocol between ``nicsim shell``'s terminal side
(:mod:`nicsim.shell`) and its simulation side (:mod:`nicsim.shell_backend`):
one JSON object per line over a UNIX stream socket whose path the terminal
side names in ``NICSIM_SHELL_SOCKET``.

Terminal to simulation: ``{"op": "run", "host": "hostA", "line": "ping -c 3 10.0.0.2"}``,
``{"op": "intr"}`` (Ctrl-C while a command runs), ``{"op": "exit"}``.
Simulation to terminal: ``{"op": "ready", "hosts": [...], "commands": {name: help}, ...}`` once,
then per command any number of ``{"op": "out", "line": ...}`` and ``{"op": "log", "line": ...}``
(io-pkt's slog as it is written) and one ``{"op": "done", "status": N}``; ``{"op": "bye", "lines": [...]}``
after ``exit``.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket

SOCKET_ENV = "NICSIM_SHELL_SOCKET"
CONFIG_ENV = "NICSIM_SHELL_CONFIG"  # JSON: {"bench": name, "run_while_idle": bool}


class Channel:
    """One end of the socket: ``send(msg)`` writes a dict as a line; ``recv(timeout)``
    returns the next dict, or None when ``timeout`` seconds (0: just look) pass
    with none whole; raises EOFError when the other end has closed."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buf = b""

    @classmethod
    def connect(cls, path: str) -> Channel:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return cls(sock)

    def send(self, msg: dict) -> None:
        """Raises OSError (BrokenPipeError) once the other end has gone; never SIGPIPE,
        which would end a simulator whose embedded Python left it at its default."""
        self.sock.sendall(json.dumps(msg).encode() + b"\n", socket.MSG_NOSIGNAL)

    def recv(self, timeout: float | None = None) -> dict | None:
        while b"\n" not in self._buf:
            if timeout is not None:
                ready, _, _ = select.select([self.sock], [], [], timeout)
                if not ready:
                    return None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the other end of the shell's socket closed")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        """Close, the other end seeing end of file at once: shut down first, since a close alone
        waits for a recv blocked in another thread (the terminal side's reader) to return."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
