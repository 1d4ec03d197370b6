"""mbufs whose storage lives in host memory (NetBSD ``kern/uipc_mbuf.c``).

Every mbuf's data area, and every 2 KiB cluster, is a slot of a pool carved
out of the platform's host memory, so a driver hands ``mtod(m)`` straight to
the NIC's DMA engine. The pools keep exact accounting: a double free, a use
after free and a leak are reported with the place the mbuf was allocated.
"""

from __future__ import annotations

import os
import sys

from .diag import MbufError

MSIZE = 256
MLEN = 224  # data bytes in a plain mbuf
MHLEN = 176  # data bytes in a packet-header mbuf
MCLBYTES = 2048

# m_flags
M_EXT = 0x0001
M_PKTHDR = 0x0002
M_EOR = 0x0004
M_BCAST = 0x0100
M_MCAST = 0x0200

# types, and the how argument
MT_FREE = 0
MT_DATA = 1
MT_HEADER = 2
M_DONTWAIT = 0
M_WAIT = 1

# m_pkthdr.csum_flags (io-pkt values)
M_CSUM_TCPv4 = 0x01
M_CSUM_UDPv4 = 0x02
M_CSUM_TCP_UDP_BAD = 0x04
M_CSUM_DATA = 0x08
M_CSUM_IPv4 = 0x40
M_CSUM_IPv4_BAD = 0x80


class PktHdr:
    __slots__ = ("len", "rcvif", "csum_flags", "csum_data")

    def __init__(self):
        self.len = 0
        self.rcvif = None
        self.csum_flags = 0
        self.csum_data = 0


class Mbuf:
    __slots__ = ("pool", "m_next", "m_nextpkt", "m_len", "m_data", "m_flags", "m_type",
                 "m_pkthdr", "ext_buf", "ext_size", "_slot", "_site", "_freed")

    def __init__(self, pool: MbufPool, slot: int, mtype: int, flags: int, site: str):
        self.pool = pool
        self._slot = slot  # host address of this mbuf's own data area
        self._site = site
        self._freed = False
        self.m_next: Mbuf | None = None
        self.m_nextpkt: Mbuf | None = None
        self.m_len = 0
        self.m_type = mtype
        self.m_flags = flags & M_PKTHDR
        self.m_pkthdr = PktHdr() if flags & M_PKTHDR else None
        self.ext_buf = 0
        self.ext_size = 0
        self.m_data = slot + (MLEN - MHLEN if flags & M_PKTHDR else 0)

    def __repr__(self) -> str:
        kind = "cluster" if self.m_flags & M_EXT else "mbuf"
        return f"<{kind} data={self.m_data:#x} len={self.m_len} from {self._site}>"

    # Python conveniences over the C idioms
    def buf_start(self) -> int:
        return self.ext_buf if self.m_flags & M_EXT else self._slot

    def buf_size(self) -> int:
        return self.ext_size if self.m_flags & M_EXT else MLEN

    def trailing_space(self) -> int:
        return self.buf_start() + self.buf_size() - (self.m_data + self.m_len)

    def leading_space(self) -> int:
        return self.m_data - self.buf_start()

    def bytes(self) -> bytes:
        """This one mbuf's data."""
        self._live("read")
        return self.pool.memory.read(self.m_data, self.m_len)

    def _live(self, what: str) -> None:
        if self._freed:
            raise MbufError(f"{what} of freed {self!r}")


def _site(depth: int = 3) -> str:
    """Where an allocation was made (file:line function), to name a leak."""
    f = sys._getframe(depth)
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno} {f.f_code.co_name}"


class MbufPool:
    """The mbuf and cluster pools of one io-pkt instance, in host memory."""

    def __init__(self, memory, nmbufs: int = 1024, nclusters: int = 1024):
        self.memory = memory
        self.nmbufs = nmbufs
        self.nclusters = nclusters
        self._mbuf_base = memory.alloc(nmbufs * MSIZE, align=64)
        self._cl_base = memory.alloc(nclusters * MCLBYTES, align=64)
        self._free_mbufs = [self._mbuf_base + i * MSIZE for i in range(nmbufs)][::-1]
        self._free_clusters = [self._cl_base + i * MCLBYTES for i in range(nclusters)][::-1]
        self.live: set[Mbuf] = set()
        self.mbufs_live: set[int] = set()  # the live mbufs' host addresses (who owns a buffer, for DMA checks)
        self.clusters_live: dict[int, Mbuf] = {}
        self.failed_allocs = 0
        self.peak_clusters = 0
        self._withheld: list[int] | None = None  # clusters kept out of the pool (withhold_clusters)

    def destroy(self) -> None:
        self.memory.free(self._mbuf_base)
        self.memory.free(self._cl_base)

    # -- accounting ---------------------------------------------------------------
    @property
    def mbufs_in_use(self) -> int:
        return len(self.live)

    @property
    def clusters_in_use(self) -> int:
        return len(self.clusters_live)

    def leaks(self) -> list[Mbuf]:
        return sorted(self.live, key=lambda m: m._site)

    def check_no_leaks(self, what: str = "") -> None:
        if self.live:
            sites: dict[str, int] = {}
            for m in self.live:
                sites[m._site] = sites.get(m._site, 0) + 1
            where = ", ".join(f"{n} from {s}" for s, n in sorted(sites.items()))
            raise MbufError(f"mbuf leak{' after ' + what if what else ''}: {len(self.live)} mbufs "
                            f"({self.clusters_in_use} clusters) still allocated: {where}")

    # -- a cluster shortage ------------------------------------------------------------
    def withhold_clusters(self) -> int:
        """Empty the cluster pool until ``release_clusters``: every free cluster
        is taken out, and so is each one freed meanwhile, so every MCLGET fails
        for the whole shortage (mbufs are still to be had). A shortage that a
        single free ends would let a driver's refill, which frees a sent frame's
        cluster just before it allocates, never meet it. Returns how many
        clusters were free; ValueError if a shortage is already on."""
        if self._withheld is not None:
            raise ValueError("withhold_clusters: the clusters are already withheld")
        self._withheld, self._free_clusters = self._free_clusters, []
        return len(self._withheld)

    def release_clusters(self) -> int:
        """End ``withhold_clusters``: the withheld clusters back in the pool,
        those freed during the shortage included. Returns how many."""
        if self._withheld is None:
            raise ValueError("release_clusters: no clusters are withheld")
        back, self._withheld = self._withheld, None
        self._free_clusters.extend(back)
        return len(back)

    # -- allocation ----------------------------------------------------------------
    def get(self, how: int, mtype: int, flags: int, site: str | None = None) -> Mbuf | None:
        if not self._free_mbufs:
            self.failed_allocs += 1
            return None
        m = Mbuf(self, self._free_mbufs.pop(), mtype, flags, site or _site())
        self.live.add(m)
        self.mbufs_live.add(m._slot)
        return m

    def clget(self, m: Mbuf) -> bool:
        if not self._free_clusters:
            self.failed_allocs += 1
            return False
        addr = self._free_clusters.pop()
        m.ext_buf = addr
        m.ext_size = MCLBYTES
        m.m_flags |= M_EXT
        m.m_data = addr
        self.clusters_live[addr] = m
        self.peak_clusters = max(self.peak_clusters, len(self.clusters_live))
        return True

    def free_one(self, m: Mbuf) -> Mbuf | None:
        if m.pool is not self:
            raise MbufError(f"{m!r} freed to the wrong io-pkt's pool")
        if m._freed or m not in self.live:
            raise MbufError(f"double free of {m!r}")
        nxt = m.m_next
        if m.m_flags & M_EXT:
            del self.clusters_live[m.ext_buf]
            (self._free_clusters if self._withheld is None else self._withheld).append(m.ext_buf)
        self.live.discard(m)
        self.mbufs_live.discard(m._slot)
        self._free_mbufs.append(m._slot)
        m._freed = True
        m.m_next = None
        m.m_type = MT_FREE
        return nxt


# -- the C API ---------------------------------------------------------------------
def m_get(pool: MbufPool, how: int, mtype: int) -> Mbuf | None:
    return pool.get(how, mtype, 0, _site())


def m_gethdr(pool: MbufPool, how: int, mtype: int) -> Mbuf | None:
    return pool.get(how, mtype, M_PKTHDR, _site())


MGETHDR = m_gethdr
MGET = m_get


def MCLGET(m: Mbuf, how: int) -> None:
    """Attach a cluster; on failure ``M_EXT`` stays clear, as in C."""
    m._live("MCLGET")
    m.pool.clget(m)


def m_getcl(pool: MbufPool, how: int, mtype: int, flags: int) -> Mbuf | None:
    m = pool.get(how, mtype, flags, _site())
    if m is None:
        return None
    if not pool.clget(m):
        pool.free_one(m)
        return None
    return m


def m_getcl_wtp(how: int, mtype: int, flags: int, wtp) -> Mbuf | None:
    """io-pkt's per-worker variant: the pool comes from the worker's io-pkt."""
    return m_getcl(wtp.iopkt.mbufs, how, mtype, flags)


def m_free(m: Mbuf) -> Mbuf | None:
    """Free one mbuf, returning its successor."""
    return m.pool.free_one(m)


def m_freem(m: Mbuf | None) -> None:
    while m is not None:
        m = m.pool.free_one(m)


def mtod(m: Mbuf) -> int:
    """The host-memory address of the data: what a driver gives the DMA engine."""
    m._live("mtod")
    return m.m_data


def m_length(m: Mbuf) -> int:
    n = 0
    while m is not None:
        n += m.m_len
        m = m.m_next
    return n


def m_copydata(m: Mbuf, off: int, length: int) -> bytes:
    """Bytes ``off..off+length`` of the chain (C copies into a buffer; Python returns them)."""
    if off < 0 or length < 0:
        raise ValueError("m_copydata: negative offset or length")
    out = bytearray()
    while m is not None and length > 0:
        m._live("m_copydata")
        if off >= m.m_len:
            off -= m.m_len
        else:
            n = min(m.m_len - off, length)
            out += m.pool.memory.read(m.m_data + off, n)
            length -= n
            off = 0
        m = m.m_next
    if length > 0:
        raise MbufError("m_copydata past the end of the chain")
    return bytes(out)


def m_chain_bytes(m: Mbuf) -> bytes:
    return m_copydata(m, 0, m_length(m))


def m_copyback(m: Mbuf, off: int, data: bytes) -> None:
    """Overwrite chain bytes from ``off`` (the chain must already be long enough)."""
    pos = 0
    while m is not None and pos < len(data):
        if off >= m.m_len:
            off -= m.m_len
        else:
            n = min(m.m_len - off, len(data) - pos)
            m.pool.memory.write(m.m_data + off, data[pos:pos + n])
            pos += n
            off = 0
        m = m.m_next
    if pos < len(data):
        raise MbufError("m_copyback past the end of the chain")


def m_devget(pool: MbufPool, data: bytes, ifp=None) -> Mbuf | None:
    """A fresh packet-header chain holding ``data`` (clusters as needed)."""
    head = prev = None
    pos = 0
    while True:
        m = pool.get(M_DONTWAIT, MT_DATA, M_PKTHDR if head is None else 0, _site())
        if m is None or (len(data) - pos > MHLEN and not pool.clget(m)):
            if m is not None:
                pool.free_one(m)
            m_freem(head)
            return None
        n = min(len(data) - pos, m.buf_size() - (m.m_data - m.buf_start()))
        pool.memory.write(m.m_data, data[pos:pos + n])
        m.m_len = n
        pos += n
        if head is None:
            head = m
        else:
            prev.m_next = m
        prev = m
        if pos >= len(data):
            break
    head.m_pkthdr.len = len(data)
    head.m_pkthdr.rcvif = ifp
    return head


def m_adj(m: Mbuf, req_len: int) -> None:
    """Trim ``req_len`` bytes from the head (positive) or tail (negative)."""
    if req_len >= 0:
        left = req_len
        n = m
        while n is not None and left > 0:
            k = min(n.m_len, left)
            n.m_len -= k
            n.m_data += k
            left -= k
            n = n.m_next
        if m.m_flags & M_PKTHDR:
            m.m_pkthdr.len -= req_len - left
    else:
        total = m_length(m)
        keep = max(0, total + req_len)
        n = m
        while n is not None:
            if keep >= n.m_len:
                keep -= n.m_len
            else:
                n.m_len = keep
                keep = 0
            n = n.m_next
        if m.m_flags & M_PKTHDR:
            m.m_pkthdr.len = max(0, total + req_len)


def m_prepend(m: Mbuf, length: int, how: int = M_DONTWAIT) -> Mbuf | None:
    """``M_PREPEND``: room for ``length`` bytes in front, a new mbuf if needed."""
    if m.leading_space() >= length:
        m.m_data -= length
        m.m_len += length
    else:
        n = m.pool.get(how, m.m_type, M_PKTHDR, _site())
        if n is None:
            m_freem(m)
            return None
        n.m_pkthdr, m.m_pkthdr = m.m_pkthdr, None
        m.m_flags &= ~M_PKTHDR
        n.m_flags |= m.m_flags & (M_BCAST | M_MCAST)
        n.m_data = n._slot + MLEN - length
        n.m_len = length
        n.m_next = m
        m = n
    if m.m_flags & M_PKTHDR:
        m.m_pkthdr.len += length
    return m


def m_pullup(m: Mbuf, length: int) -> Mbuf | None:
    """Make the first ``length`` bytes contiguous in the first mbuf; on failure free the chain."""
    if m.m_len >= length:
        return m
    total = m_length(m)
    if length > total or length > MCLBYTES:
        m_freem(m)
        return None
    data = m_copydata(m, 0, length)
    n = m.pool.get(M_DONTWAIT, m.m_type, M_PKTHDR if m.m_flags & M_PKTHDR else 0, _site())
    if n is None or (length > (MHLEN if m.m_flags & M_PKTHDR else MLEN) and not m.pool.clget(n)):
        if n is not None:
            m.pool.free_one(n)
        m_freem(m)
        return None
    if m.m_flags & M_PKTHDR:
        n.m_pkthdr, m.m_pkthdr = m.m_pkthdr, None
        n.m_flags |= m.m_flags & (M_BCAST | M_MCAST)
        m.m_flags &= ~M_PKTHDR
    m.pool.memory.write(n.m_data, data)
    n.m_len = length
    m_adj(m, length)
    # drop emptied mbufs from the front of the rest
    while m is not None and m.m_len == 0:
        m = m_free(m)
    n.m_next = m
    return n


def m_dup(m: Mbuf, off: int = 0, length: int | None = None, how: int = M_DONTWAIT) -> Mbuf | None:
    """A deep copy (io-pkt has no ``m_defrag``: this is how chains get compacted)."""
    total = m_length(m)
    if length is None:
        length = total - off
    n = m_devget(m.pool, m_copydata(m, off, length), m.m_pkthdr.rcvif if m.m_pkthdr else None)
    if n is not None and m.m_pkthdr is not None:
        n.m_flags |= m.m_flags & (M_BCAST | M_MCAST)
        n.m_pkthdr.csum_flags = m.m_pkthdr.csum_flags
        n.m_pkthdr.csum_data = m.m_pkthdr.csum_data
    return n
