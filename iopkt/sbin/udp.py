"""``udpsend`` and ``udprecv``: one UDP datagram out, datagrams in, from a console.

QNX's target has no stock command-line UDP client, so these two are the
simulation's own, named for what they do, over the stack's datagram socket
(``netinet/udp.udp_socket``); their usage is ``nc -u``'s reduced to its two
directions:

    udpsend [-n] host port text...   text joined by spaces, then a newline
                                     (-n: none), as `echo text | nc -u host port`
    udprecv [-c count] port          print each datagram as it comes, until
                                     Ctrl-C (or count of them), as `nc -u -l port`

``udprecv`` prints ``from ADDR:PORT (N bytes): payload``, the payload's
non-printable bytes as Python escapes; it exits 0 when a datagram came, 1 when
none did (interrupted first), as ping's status says whether a reply came.
"""

from __future__ import annotations

from ..kern.strnum import NumberError, strtoi
from ..netinet.in_ import inet_addr
from ..netinet.udp import udp_socket
from .output import line_writer

SEND_USAGE = "usage: udpsend [-n] host port text..."
RECV_USAGE = "usage: udprecv [-c count] port"


def _port(text: str) -> int:
    return strtoi(text, 1, 0xFFFF)


async def send_main(iopkt, argv: list[str], out) -> int:
    emit = line_writer(out)
    args = argv[1:]
    newline = b"\n"
    if args[:1] == ["-n"]:
        newline, args = b"", args[1:]
    if len(args) < 3:
        emit(SEND_USAGE)
        return 1
    host, port_text, words = args[0], args[1], args[2:]
    try:
        inet_addr(host)
    except ValueError:
        emit(f"udpsend: {host}: unknown host")
        return 1
    try:
        port = _port(port_text)
    except NumberError as bad:
        emit(f"udpsend: port {port_text}: {bad.reason}")
        return 1
    sock = await udp_socket(iopkt)
    try:
        await sock.sendto(" ".join(words).encode() + newline, (host, port))
    except OSError as e:
        emit(f"udpsend: {e.strerror}")
        return 1
    finally:
        sock.close()
    return 0


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", errors="backslashreplace").rstrip("\n")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


async def recv_run(iopkt, argv: list[str], out, intr=None) -> tuple[int, None]:
    """``udprecv``; ``intr`` (a ``kern.sig.SigInt``) ends the wait, as Ctrl-C ends ``nc -l``."""
    emit = line_writer(out)
    args = argv[1:]
    count = None
    try:
        if args[:1] == ["-c"] and len(args) >= 2:
            count = strtoi(args[1], 1, 1 << 31)
            args = args[2:]
        if len(args) != 1:
            raise NumberError("", "usage", 0, 0)
        port = _port(args[0])
    except NumberError as bad:
        if bad.reason != "usage":
            emit(f"udprecv: {bad.text}: {bad.reason}")
        emit(RECV_USAGE)
        return 1, None
    sock = await udp_socket(iopkt)
    try:
        sock.bind(port)
    except OSError as e:
        emit(f"udprecv: port {port}: {e.strerror}")
        return 1, None
    got = 0
    try:
        while count is None or got < count:
            try:
                data, (addr, sport) = await sock.recvfrom(None, intr)
            except InterruptedError:  # Ctrl-C
                emit("")
                break
            got += 1
            emit(f"from {addr}:{sport} ({len(data)} bytes): {_printable(data)}")
    finally:
        sock.close()
    return (0 if got else 1), None
