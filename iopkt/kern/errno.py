"""errno values as io-pkt returns them (QNX numbering where it differs from
the host's; names are what callers use)."""

EOK = 0
EPERM = 1
ENOENT = 2
EINTR = 4
EIO = 5
ENXIO = 6
E2BIG = 7
EBADF = 9
ENOMEM = 12
EBUSY = 16
EEXIST = 17
ENODEV = 19
EINVAL = 22
ENOSPC = 28
ERANGE = 34
ENOTSUP = 48
EOPNOTSUPP = 103
EWOULDBLOCK = 11
EAGAIN = 11
ENOBUFS = 233
EALREADY = 237
EMSGSIZE = 240
ENETDOWN = 244
ENETUNREACH = 245
ENETRESET = 246
EHOSTDOWN = 264
EHOSTUNREACH = 265
ETIMEDOUT = 260
EADDRINUSE = 248
EADDRNOTAVAIL = 249
EAFNOSUPPORT = 247
ENOTTY = 25

_NAMES = {v: k for k, v in sorted(globals().items(), reverse=True) if k.isupper() and isinstance(v, int)}
_NAMES[EWOULDBLOCK] = "EWOULDBLOCK"

_TEXT = {
    EOK: "No error", EPERM: "Operation not permitted", ENOENT: "No such file or directory",
    EINTR: "Interrupted function call",
    EIO: "I/O error", ENXIO: "No such device or address", ENOMEM: "Not enough memory",
    EBUSY: "Device or resource busy", EEXIST: "File exists", ENODEV: "No such device",
    EINVAL: "Invalid argument", ENOBUFS: "No buffer space available", EALREADY: "Operation already in progress",
    EMSGSIZE: "Message too long", ENETDOWN: "Network is down", ENETUNREACH: "Network is unreachable",
    EHOSTDOWN: "Host is down", EHOSTUNREACH: "No route to host", ETIMEDOUT: "Connection timed out",
    EOPNOTSUPP: "Operation not supported", EWOULDBLOCK: "Operation would block",
    ENOTTY: "Inappropriate I/O control operation", EADDRINUSE: "Address already in use",
    EADDRNOTAVAIL: "Can't assign requested address", ENETRESET: "Network dropped connection on reset",
    EAFNOSUPPORT: "Address family not supported",
}


def errname(err: int) -> str:
    return _NAMES.get(err, f"errno {err}")


def strerror(err: int) -> str:
    return _TEXT.get(err, errname(err))
