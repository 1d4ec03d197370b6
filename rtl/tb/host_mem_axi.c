/*
 * Host memory for the testbench AXI4 slave host_mem_axi.v: the storage, the
 * DMA transaction log and the fault rules, in C, so the simulator serves
 * every beat at its own speed and Python never runs per beat.
 *
 * One source, two builds (nicsim/runner.py makes both, cached under
 * sim_build/host_mem/):
 *   - Verilator: a shared library (libhost_mem.so) the model links against;
 *     host_mem_axi.v calls hm_burst/hm_read/hm_write through DPI-C imports.
 *   - Icarus: a VPI module (host_mem.vpi, built with iverilog-vpi and
 *     -DHOST_MEM_VPI) that vvp loads with -m; the same three calls are the
 *     system tasks $hm_burst, $hm_read and $hm_write.
 * A testbench with no Python (nic_pair_plain_tb.v) gives a port memory with
 * hm_port_new ($hm_port_new) and fills it with hm_write ($hm_write).
 * Both builds also hold the wire capture (gmii_pcap.c, gmii_pcap.v), whose
 * VPI tasks are registered below with these.
 * Python (nicsim/host_mem.py) dlopens the very file the simulator loaded,
 * so the loader hands back the same instance: the same buffers, log and
 * rules. Its calls (hm_mem_*, hm_port_*, hm_rule_*, hm_fired_*, hm_log_*,
 * and the DMA permission checker's replay, hm_chk_*)
 * cost no simulated time.
 *
 * Model:
 *   - memories: up to HM_MAX_MEMS zeroed buffers, created by Python with a
 *     size in bytes (hm_mem_new), or by HDL already attached to a port
 *     (hm_port_new); addresses are byte offsets 0..size-1.
 *   - ports: one per slave instance (its PORT parameter); Python attaches a
 *     port to a memory (hm_port_attach), several ports may share one (a host
 *     with two NICs). A port with no memory answers DECERR to everything.
 *   - per burst (address handshake), hm_burst decides the response: DECERR
 *     if any byte of the burst lies outside the port's memory (a real bus
 *     has nothing there; the old Python model wrapped addresses instead),
 *     SLVERR for a burst type other than INCR or FIXED, SLVERR if a fault
 *     rule of that port matches, else OKAY; and it logs the transaction.
 *   - per beat, hm_read/hm_write move one bus word; hm_write honours the
 *     byte strobes and notes the first and last strobed byte of the burst
 *     in its log entry (done at its last beat). An erroring burst moves no
 *     data.
 *
 * Everything here runs in the simulator's thread, and Python's calls run in
 * that same thread (cocotb runs between simulator callbacks), so nothing
 * needs a lock.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdl_call.h"

#define HM_MAX_MEMS 64
#define HM_MAX_PORTS 16
#define HM_MAX_RULES 32
#define HM_MAX_FIRED 4096
#define HM_LOG_SIZE 65536 /* transactions kept for readers; a power of two */

#define HM_OKAY 0
#define HM_SLVERR 2
#define HM_DECERR 3

#define HM_BURST_FIXED 0
#define HM_BURST_INCR 1

/* what a rule compares a burst's bytes [addr, addr + bytes) with */
#define HM_MATCH_RANGE 0   /* overlaps [lo, hi) */
#define HM_MATCH_RING 1    /* overlaps [lo, hi), the engine's own ring */
#define HM_MATCH_BUFFER 2  /* overlaps neither ring (ring0, ring1) */

typedef struct {
    uint8_t *buf;
    uint64_t size;
} hm_mem_t;

typedef struct {
    int32_t tag;     /* Python's name for the rule (> 0); 0: free slot */
    int32_t match;   /* HM_MATCH_* */
    int32_t dir;     /* -1 either, 0 reads, 1 writes */
    int32_t pad;
    int64_t count;   /* bursts still to fail; -1: every one */
    uint64_t lo, hi; /* range, or the engine's own ring */
    uint64_t ring_lo[2], ring_hi[2];
} hm_rule_t;

/* a burst a rule failed; the layout nicsim/host_mem.py's _Fired mirrors */
typedef struct {
    int32_t tag;
    int32_t write;
    uint64_t addr;
    uint64_t time_ns;
} hm_fired_t;

/* one DMA transaction (an accepted AR or AW); mirrored by _Txn in Python */
typedef struct {
    uint64_t addr;    /* AxADDR, bytes */
    uint64_t time_ns; /* simulated time of the address handshake */
    uint32_t port;
    uint8_t len;      /* AxLEN: beats - 1 */
    uint8_t size;     /* AxSIZE: log2(bytes per beat) */
    uint8_t burst;    /* AxBURST */
    uint8_t write;
    uint8_t resp;     /* the response given: HM_OKAY, HM_SLVERR, HM_DECERR */
    uint8_t id;       /* AxID (low 8 bits) */
    uint8_t done;     /* 1 once every beat has moved (a read or an erroring burst: at once) */
    uint8_t pad;
    /* a write burst's first and last strobed byte, as offsets from the start
     * of AxADDR's 4 KiB page (a burst never crosses one); HM_NO_STROBE while
     * no byte was strobed */
    uint16_t wfirst;
    uint16_t wlast;
} hm_txn_t;

#define HM_NO_STROBE 0xffff
#define HM_WQ 4 /* write bursts accepted but not finished, per port (at most 2 in practice) */

typedef struct {
    int mem; /* -1: none */
    int nrules;
    hm_rule_t rules[HM_MAX_RULES];
    uint32_t nfired;
    uint64_t fired_lost;
    hm_fired_t fired[HM_MAX_FIRED];
    /* the log entries of the OKAY write bursts whose beats are still due, oldest
     * first, and the beats each still needs: the beats arrive in burst order */
    uint64_t wq_seq[HM_WQ];
    uint32_t wq_beats[HM_WQ];
    uint32_t wq_head, wq_count;
} hm_port_t;

static hm_mem_t mems[HM_MAX_MEMS];
static hm_port_t ports[HM_MAX_PORTS];
static int ports_ready;
static hm_txn_t txlog[HM_LOG_SIZE];
static uint64_t txlog_head; /* transactions ever logged */

static void hm_init(void)
{
    if (ports_ready)
        return;
    for (int i = 0; i < HM_MAX_PORTS; i++)
        ports[i].mem = -1;
    ports_ready = 1;
}

static hm_port_t *hm_port(int port)
{
    hm_init();
    return (port >= 0 && port < HM_MAX_PORTS) ? &ports[port] : NULL;
}

/* the buffer behind a port, or NULL */
static hm_mem_t *hm_port_memory(int port)
{
    hm_port_t *p = hm_port(port);
    if (!p || p->mem < 0 || !mems[p->mem].buf)
        return NULL;
    return &mems[p->mem];
}

/* ------------------------------------------------------------ for Python */

/* A new zeroed memory of `size` bytes; its id, or -1 (table full, no RAM). */
HDL_CALL_EXPORT int hm_mem_new(uint64_t size)
{
    hm_init();
    if (size == 0)
        return -1;
    for (int i = 0; i < HM_MAX_MEMS; i++) {
        if (!mems[i].buf) {
            mems[i].buf = calloc(1, size);
            if (!mems[i].buf)
                return -1;
            mems[i].size = size;
            return i;
        }
    }
    return -1;
}

/* Free a memory; ports attached to it then answer DECERR. */
HDL_CALL_EXPORT void hm_mem_free(int mem)
{
    if (mem < 0 || mem >= HM_MAX_MEMS || !mems[mem].buf)
        return;
    for (int i = 0; i < HM_MAX_PORTS; i++)
        if (ports[i].mem == mem)
            ports[i].mem = -1;
    free(mems[mem].buf);
    mems[mem].buf = NULL;
    mems[mem].size = 0;
}

/* The buffer's address (for Python's zero-copy view), or NULL. */
HDL_CALL_EXPORT void *hm_mem_base(int mem)
{
    return (mem >= 0 && mem < HM_MAX_MEMS) ? mems[mem].buf : NULL;
}

HDL_CALL_EXPORT uint64_t hm_mem_size(int mem)
{
    return (mem >= 0 && mem < HM_MAX_MEMS) ? mems[mem].size : 0;
}

/* Serve `port` from `mem` (-1: from nothing). A new owner starts clean:
 * the port's fault rules and fired list are dropped. 0, or -1 if either
 * number is out of range. */
HDL_CALL_EXPORT int hm_port_attach(int port, int mem)
{
    hm_port_t *p = hm_port(port);
    if (!p || mem < -1 || mem >= HM_MAX_MEMS || (mem >= 0 && !mems[mem].buf))
        return -1;
    p->mem = mem;
    p->nrules = 0;
    p->nfired = 0;
    p->wq_count = 0;
    p->fired_lost = 0;
    return 0;
}

/* A fresh zeroed memory of `size` bytes attached to `port`: what an HDL
 * testbench with no Python does instead of SharedMemory(size).attach(port)
 * (nic_pair_plain_tb.v; a DPI-C import under Verilator, the system task
 * $hm_port_new under Icarus). The port's previous memory, if any, is left
 * to its owner. Returns the new memory's id, or -1 (port out of range, size
 * 0, no RAM or no free memory slot). */
HDL_CALL_EXPORT int hm_port_new(int port, long long size)
{
    if (!hm_port(port) || size <= 0)
        return -1;
    int mem = hm_mem_new((uint64_t)size);
    if (mem < 0)
        return -1;
    hm_port_attach(port, mem);
    return mem;
}

HDL_CALL_EXPORT int hm_port_mem(int port)
{
    hm_port_t *p = hm_port(port);
    return p ? p->mem : -1;
}

/* Add a fault rule to `port` (see hm_rule_t); 0, or -1 if the port is out of
 * range or already has HM_MAX_RULES rules. */
HDL_CALL_EXPORT int hm_rule_add(int port, int tag, int match, int dir, int64_t count, uint64_t lo, uint64_t hi,
                          uint64_t r0lo, uint64_t r0hi, uint64_t r1lo, uint64_t r1hi)
{
    hm_port_t *p = hm_port(port);
    if (!p || p->nrules >= HM_MAX_RULES || tag <= 0 || count == 0)
        return -1;
    hm_rule_t *r = &p->rules[p->nrules++];
    r->tag = tag;
    r->match = match;
    r->dir = dir;
    r->count = count;
    r->lo = lo;
    r->hi = hi;
    r->ring_lo[0] = r0lo;
    r->ring_hi[0] = r0hi;
    r->ring_lo[1] = r1lo;
    r->ring_hi[1] = r1hi;
    return 0;
}

HDL_CALL_EXPORT void hm_rules_clear(int port)
{
    hm_port_t *p = hm_port(port);
    if (p)
        p->nrules = 0;
}

HDL_CALL_EXPORT int hm_rule_count(int port)
{
    hm_port_t *p = hm_port(port);
    return p ? p->nrules : 0;
}

/* Copy the port's fired list from entry `from` on into out[0..max); returns
 * how many were copied. The list holds the first HM_MAX_FIRED only. */
HDL_CALL_EXPORT uint32_t hm_fired_copy(int port, uint32_t from, hm_fired_t *out, uint32_t max)
{
    hm_port_t *p = hm_port(port);
    if (!p || from >= p->nfired)
        return 0;
    uint32_t n = p->nfired - from;
    if (n > max)
        n = max;
    memcpy(out, &p->fired[from], n * sizeof(hm_fired_t));
    return n;
}

HDL_CALL_EXPORT uint32_t hm_fired_count(int port)
{
    hm_port_t *p = hm_port(port);
    return p ? p->nfired : 0;
}

/* How many transactions were ever logged (the next one's sequence number). */
HDL_CALL_EXPORT uint64_t hm_log_head(void)
{
    return txlog_head;
}

/* Where that count lives: a reader polls it with a plain load (no call) and
 * reads the log only when it has moved. */
HDL_CALL_EXPORT const uint64_t *hm_log_head_ptr(void)
{
    return &txlog_head;
}

/* Copy logged transactions from sequence number *cursor on into
 * out[0..max), advance *cursor past them and return how many. A reader that
 * fell more than HM_LOG_SIZE behind skips what was overwritten: *lost grows
 * by that many. */
HDL_CALL_EXPORT uint32_t hm_log_read(uint64_t *cursor, hm_txn_t *out, uint32_t max, uint64_t *lost)
{
    uint64_t from = *cursor;
    if (txlog_head > HM_LOG_SIZE && from < txlog_head - HM_LOG_SIZE) {
        *lost += txlog_head - HM_LOG_SIZE - from;
        from = txlog_head - HM_LOG_SIZE;
    }
    uint32_t n = 0;
    while (from < txlog_head && n < max)
        out[n++] = txlog[from++ & (HM_LOG_SIZE - 1)];
    *cursor = from;
    return n;
}

HDL_CALL_EXPORT uint32_t hm_txn_size(void)
{
    return (uint32_t)sizeof(hm_txn_t);
}

/* ------------------------------------- for the DMA permission checker */
/*
 * The checker's fast path (nicsim/dma_checker.py; the rules and their
 * datasheet sections: nicsim/dma_ownership.py, which stays the reference).
 * Python owns the state: it allocates each ring's hm_ring_t and grant arrays
 * (ctypes) and writes them as the driver's register writes land; this code
 * replays the log against them, one transaction at a time, and accepts what
 * the rules plainly allow: a descriptor fetch or write-back of owned slots
 * (a write-back advances HEAD, as Python's would, and names each descriptor
 * it gives back in rel[] for Python to file), a buffer access inside an owned
 * descriptor's buffer. Everything else (an error response, a breach, no
 * owner found) it hands back to Python whole, which checks it with the full
 * rules and writes the message. So the two never disagree: C only accepts,
 * never fails. Why here: a 64-byte flood makes about six bursts per frame,
 * and checking each in Python cost a third of the flood's wall time; a
 * replay here costs one call per checker event, whatever the bursts.
 */

/* one descriptor ring as nicsim.dma_ownership.Ring keeps it (mirrored by _RingC) */
typedef struct {
    uint64_t base;
    uint32_t length, head, tail;
    uint8_t enabled, idle, stopped, pad;
    uint32_t cap; /* entries in the grant arrays (>= length) */
    uint32_t pad2;
    uint64_t *g_addr; /* per slot: the handed-over buffer */
    uint32_t *g_size;
    uint8_t *g_owned; /* 1: an owned descriptor (Ring.owned has it) */
} hm_ring_t;

#define HM_CHK_REL 256 /* descriptors given back per call, at most */

/* one checker's replay state (mirrored by _Checker in nicsim/dma_checker.py) */
typedef struct {
    hm_ring_t *ring[HM_MAX_PORTS][2]; /* [port][0: TX, 1: RX]; NULL: not checked */
    uint64_t cursor;                  /* the next log entry to replay */
    uint64_t lost;                    /* entries overwritten before they were replayed */
    uint64_t checked;                 /* transactions of checked ports replayed */
    uint32_t nrel;                    /* rel[0..nrel): port << 17 | rx << 16 | slot, oldest first */
    uint32_t rel[HM_CHK_REL];
    hm_txn_t txn; /* HM_CHK_DEFER: the transaction for Python; HM_CHK_BLOCKED: the open write */
} hm_chk_t;

#define HM_CHK_END 0     /* the log is replayed to its end */
#define HM_CHK_TIME 1    /* the next entry is later than `until` */
#define HM_CHK_BLOCKED 2 /* the next entry is a write whose beats are still coming */
#define HM_CHK_DEFER 3   /* txn is for Python (consumed) */
#define HM_CHK_FULL 4    /* rel[] is full: file it and call again */

static uint32_t ring_count(const hm_ring_t *r)
{
    return (r->length && r->tail < r->length) ? (r->tail + r->length - r->head) % r->length : 0;
}

static int ring_owns(const hm_ring_t *r, int64_t slot)
{
    return slot >= 0 && slot < (int64_t)r->length && (uint32_t)(slot + r->length - r->head) % r->length < ring_count(r);
}

static int in_ring(const hm_ring_t *r, uint64_t lo, uint64_t hi)
{
    return r->length > 0 && lo < r->base + (uint64_t)r->length * 16 && hi > r->base;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* a descriptor fetch (read) or write-back (write) of ring r: 1 accepted, 0 for Python */
static int chk_ring(hm_chk_t *c, int port, int rx, hm_ring_t *r, const hm_txn_t *t, uint64_t lo, uint64_t hi)
{
    int64_t b = (int64_t)r->base, last_slot = (int64_t)r->length - 1;
    if (t->write) {
        int64_t first = floordiv((int64_t)lo - b, 16), last = floordiv((int64_t)hi - 1 - b, 16);
        if (first < 0)
            first = 0;
        if (last > last_slot)
            last = last_slot;
        for (int64_t s = first; s <= last; s++)
            if (!ring_owns(r, s))
                return 0;
        if (first > last)
            return 1;
        /* a write-back of slot `last`: HEAD has passed every descriptor up to it */
        uint32_t stop = (uint32_t)((last + 1) % r->length);
        uint32_t need = 0, h = r->head;
        for (uint32_t n = ring_count(r); h != stop && n; h = (h + 1) % r->length, n--)
            need += r->g_owned[h];
        if (need > HM_CHK_REL)
            return 0; /* more than rel[] holds: Python gives them back itself */
        if (c->nrel + need > HM_CHK_REL)
            return -1;
        while (r->head != stop && ring_count(r)) {
            if (r->g_owned[r->head]) {
                r->g_owned[r->head] = 0;
                c->rel[c->nrel++] = (uint32_t)port << 17 | (uint32_t)rx << 16 | r->head;
            }
            r->head = (r->head + 1) % r->length;
        }
        return 1;
    }
    int64_t word = (int64_t)1 << t->size;
    for (int64_t beat = (int64_t)lo / word * word; beat < (int64_t)hi; beat += word) {
        int64_t s0 = floordiv(beat - b, 16), s1 = floordiv(beat + word - 1 - b, 16), s;
        if (s0 < 0)
            s0 = 0;
        if (s1 > last_slot)
            s1 = last_slot;
        for (s = s0; s <= s1 && !ring_owns(r, s); s++)
            ;
        if (s > s1)
            return 0;
    }
    return 1;
}

/* a buffer access of ring r's engine: inside an owned descriptor's buffer (reads: its bus words) */
static int chk_buffer(const hm_ring_t *r, const hm_txn_t *t, uint64_t lo, uint64_t hi)
{
    uint64_t word = (uint64_t)1 << t->size;
    uint32_t n = ring_count(r);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = (r->head + i) % r->length;
        if (!r->g_owned[s])
            continue;
        uint64_t blo = r->g_addr[s], bhi = blo + r->g_size[s];
        if (!t->write) {
            blo = blo / word * word;
            bhi = (bhi + word - 1) / word * word;
        }
        if (blo <= lo && hi <= bhi)
            return !(r->idle && !r->stopped);
    }
    return 0;
}

/* 1: the transaction keeps the rules; 0: Python checks it; -1: rel[] has no room */
static int chk_txn(hm_chk_t *c, const hm_txn_t *t)
{
    hm_ring_t *tx = c->ring[t->port][0], *rx = c->ring[t->port][1];
    uint64_t lo, hi;
    if (t->resp != HM_OKAY)
        return 0;
    if (t->write) {
        if (t->wfirst == HM_NO_STROBE)
            return 1; /* no byte strobed: nothing written */
        uint64_t page = t->addr & ~(uint64_t)0xfff;
        lo = page + t->wfirst;
        hi = page + t->wlast + 1;
    } else {
        lo = t->addr;
        hi = t->addr + ((uint64_t)t->len + 1) * ((uint64_t)1 << t->size);
    }
    if (in_ring(tx, lo, hi))
        return chk_ring(c, (int)t->port, 0, tx, t, lo, hi);
    if (in_ring(rx, lo, hi))
        return chk_ring(c, (int)t->port, 1, rx, t, lo, hi);
    return chk_buffer(t->write ? rx : tx, t, lo, hi);
}

/* Replay the log from c->cursor: every transaction of a checked port up to
 * simulated time `until` (ns, inclusive), stopping early as the HM_CHK_*
 * codes say. take_open: take a write whose beats are still coming as it is
 * (a reset cut it) instead of stopping at it. c->nrel starts at 0. */
HDL_CALL_EXPORT int hm_chk_run(hm_chk_t *c, uint64_t until, int take_open)
{
    c->nrel = 0;
    if (txlog_head > HM_LOG_SIZE && c->cursor < txlog_head - HM_LOG_SIZE) {
        c->lost += txlog_head - HM_LOG_SIZE - c->cursor;
        c->cursor = txlog_head - HM_LOG_SIZE;
    }
    while (c->cursor < txlog_head) {
        const hm_txn_t *t = &txlog[c->cursor & (HM_LOG_SIZE - 1)];
        if (t->port >= HM_MAX_PORTS || !c->ring[t->port][0]) {
            c->cursor++;
            continue;
        }
        if (!t->done && !take_open) {
            c->txn = *t;
            return HM_CHK_BLOCKED;
        }
        if (t->time_ns > until)
            return HM_CHK_TIME;
        int ok = chk_txn(c, t);
        if (ok < 0)
            return HM_CHK_FULL;
        c->cursor++;
        c->checked++;
        if (!ok) {
            c->txn = *t;
            return HM_CHK_DEFER;
        }
    }
    return HM_CHK_END;
}

HDL_CALL_EXPORT uint32_t hm_chk_size(void)
{
    return (uint32_t)sizeof(hm_chk_t);
}

/* ------------------------------------------------- for the slave (per burst) */

static int overlaps(uint64_t a, uint64_t b, uint64_t lo, uint64_t hi)
{
    return a < hi && lo < b;
}

static int rule_matches(const hm_rule_t *r, uint64_t a, uint64_t b, int write)
{
    if (r->dir >= 0 && r->dir != write)
        return 0;
    switch (r->match) {
    case HM_MATCH_RANGE:
    case HM_MATCH_RING:
        return overlaps(a, b, r->lo, r->hi);
    case HM_MATCH_BUFFER:
        return !overlaps(a, b, r->ring_lo[0], r->ring_hi[0]) && !overlaps(a, b, r->ring_lo[1], r->ring_hi[1]);
    default:
        return 0;
    }
}

/* The first matching rule fails the burst: counted down (and dropped at
 * zero), recorded in the port's fired list. */
static int check_rules(hm_port_t *p, uint64_t addr, uint64_t a, uint64_t b, int write, uint64_t time_ns)
{
    for (int i = 0; i < p->nrules; i++) {
        hm_rule_t *r = &p->rules[i];
        if (!rule_matches(r, a, b, write))
            continue;
        if (p->nfired < HM_MAX_FIRED) {
            hm_fired_t *f = &p->fired[p->nfired++];
            f->tag = r->tag;
            f->write = write;
            f->addr = addr;
            f->time_ns = time_ns;
        } else {
            p->fired_lost++;
        }
        if (r->count > 0 && --r->count == 0) {
            memmove(r, r + 1, (size_t)(p->nrules - i - 1) * sizeof(*r));
            p->nrules--;
        }
        return 1;
    }
    return 0;
}

/* Decide the response to one burst and log it. Called at the address
 * handshake. Returns HM_OKAY, HM_SLVERR or HM_DECERR. */
static int burst(int port, uint64_t addr, int len, int size, int burst_type, int write, int id,
                 uint64_t time_ns, int bus_bytes)
{
    hm_port_t *p = hm_port(port);
    hm_mem_t *m = hm_port_memory(port);
    int resp = HM_OKAY;
    /* the bytes the burst's beats touch, as whole bus words */
    uint64_t step = (uint64_t)1 << size;
    uint64_t word = (uint64_t)bus_bytes;
    uint64_t first = addr & ~(step - 1);
    uint64_t last = burst_type == HM_BURST_FIXED ? first : first + (uint64_t)len * step;
    uint64_t a = addr & ~(word - 1);
    uint64_t b = (last & ~(word - 1)) + word;
    if (!p || !m || b > m->size || b < a)
        resp = HM_DECERR;
    else if (burst_type != HM_BURST_INCR && burst_type != HM_BURST_FIXED)
        resp = HM_SLVERR;
    else if (p->nrules && check_rules(p, addr, a, b, write, time_ns))
        resp = HM_SLVERR;

    hm_txn_t *t = &txlog[txlog_head++ & (HM_LOG_SIZE - 1)];
    t->addr = addr;
    t->time_ns = time_ns;
    t->port = (uint32_t)port;
    t->len = (uint8_t)len;
    t->size = (uint8_t)size;
    t->burst = (uint8_t)burst_type;
    t->write = (uint8_t)write;
    t->resp = (uint8_t)resp;
    t->id = (uint8_t)id;
    t->wfirst = t->wlast = HM_NO_STROBE;
    t->done = 1;
    if (write && resp == HM_OKAY && p) {
        if (p->wq_count == HM_WQ) /* a slave bug: more bursts open than it accepts */
            p->wq_count--;
        uint32_t slot = (p->wq_head + p->wq_count++) % HM_WQ;
        p->wq_seq[slot] = txlog_head - 1;
        p->wq_beats[slot] = (uint32_t)len + 1;
        t->done = 0;
    }
    return resp;
}

/* Note one beat of the oldest open write burst of a port in its log entry:
 * the strobed bytes (for a checker that needs the bytes really written,
 * not the beats) and, at its last beat, done. */
static void note_write_beat(int port, uint64_t addr, int nbytes, const uint8_t *strb)
{
    hm_port_t *p = hm_port(port);
    if (!p || !p->wq_count)
        return;
    uint64_t seq = p->wq_seq[p->wq_head];
    hm_txn_t *t = &txlog[seq & (HM_LOG_SIZE - 1)];
    int lo = -1, hi = -1;
    for (int i = 0; i < nbytes; i++)
        if (strb[i / 8] & (1u << (i % 8))) {
            if (lo < 0)
                lo = i;
            hi = i;
        }
    if (lo >= 0) {
        uint64_t page = t->addr & ~(uint64_t)0xfff;
        uint16_t first = (uint16_t)(addr + (uint64_t)lo - page), last = (uint16_t)(addr + (uint64_t)hi - page);
        if (t->wfirst == HM_NO_STROBE || first < t->wfirst)
            t->wfirst = first;
        if (t->wlast == HM_NO_STROBE || last > t->wlast)
            t->wlast = last;
    }
    if (--p->wq_beats[p->wq_head] == 0) {
        t->done = 1;
        p->wq_head = (p->wq_head + 1) % HM_WQ;
        p->wq_count--;
    }
}

/* One bus word (nbytes, at a bus-aligned addr) into data: little-endian,
 * byte i of memory is bits 8i+7:8i. Outside the memory (it was freed or
 * re-attached mid-burst): zeros. */
static void read_word(int port, uint64_t addr, int nbytes, uint8_t *data)
{
    hm_mem_t *m = hm_port_memory(port);
    if (m && addr + (uint64_t)nbytes <= m->size && addr + (uint64_t)nbytes >= addr)
        memcpy(data, m->buf + addr, (size_t)nbytes);
    else
        memset(data, 0, (size_t)nbytes);
}

/* One bus word from data, byte lane i written where strobe bit i is set
 * (strb: nbytes bits, lane 0 in bit 0 of strb[0]). */
static void write_word(int port, uint64_t addr, int nbytes, const uint8_t *data, const uint8_t *strb)
{
    note_write_beat(port, addr, nbytes, strb);
    hm_mem_t *m = hm_port_memory(port);
    if (!m || addr + (uint64_t)nbytes > m->size || addr + (uint64_t)nbytes < addr)
        return;
    uint8_t *dst = m->buf + addr;
    for (int i = 0; i < nbytes; i += 8) {
        uint8_t s = strb[i / 8];
        int lanes = nbytes - i < 8 ? nbytes - i : 8;
        if (s == 0xff && lanes == 8) {
            memcpy(dst + i, data + i, 8);
            continue;
        }
        for (int j = 0; j < lanes; j++)
            if (s & (1u << j))
                dst[i + j] = data[i + j];
    }
}

#ifndef HOST_MEM_VPI
/* ------------------------------------------------ Verilator: DPI-C imports */
/* The prototypes Verilator generates (Vtop__Dpi.h) for host_mem_axi.v's
 * imports: `int`/`longint` arrive as int32/int64 (an output `int` as a
 * pointer), `bit [N-1:0]` as
 * svBitVecVal (uint32_t) arrays, least significant word first, so on a
 * little-endian host their bytes are the bus lanes in order. */
#include "svdpi.h"

HDL_CALL_EXPORT void hm_burst(int port, long long addr, int len, int size, int burst_type, int write, int id,
                        long long time_ns, int bus_bytes, int *resp)
{
    *resp = burst(port, (uint64_t)addr, len, size, burst_type, write, id, (uint64_t)time_ns, bus_bytes);
}

HDL_CALL_EXPORT void hm_read(int port, long long addr, int nbytes, svBitVecVal *data)
{
    read_word(port, (uint64_t)addr, nbytes, (uint8_t *)data);
}

HDL_CALL_EXPORT void hm_write(int port, long long addr, int nbytes, const svBitVecVal *data, long long strb)
{
    uint8_t lanes[8];
    for (int i = 0; i < 8; i++)
        lanes[i] = (uint8_t)((unsigned long long)strb >> (8 * i));
    write_word(port, (uint64_t)addr, nbytes, (const uint8_t *)data, lanes);
}

#else
/* ------------------------------------------------- Icarus: VPI system tasks */
static uint64_t get_u64(vpiHandle h)
{
    s_vpi_value v = {.format = vpiVectorVal};
    vpi_get_value(h, &v);
    int words = (vpi_get(vpiSize, h) + 31) / 32;
    uint64_t x = (uint32_t)(v.value.vector[0].aval & ~v.value.vector[0].bval);
    if (words > 1)
        x |= (uint64_t)(uint32_t)(v.value.vector[1].aval & ~v.value.vector[1].bval) << 32;
    return x;
}

/* a vector argument's bytes, x and z bits as 0 */
static void get_bytes(vpiHandle h, uint8_t *out, int nbytes)
{
    s_vpi_value v = {.format = vpiVectorVal};
    vpi_get_value(h, &v);
    for (int i = 0; i < nbytes; i++) {
        uint32_t w = (uint32_t)(v.value.vector[i / 4].aval & ~v.value.vector[i / 4].bval);
        out[i] = (uint8_t)(w >> (8 * (i % 4)));
    }
}

/* $hm_burst(port, addr, len, size, burst, write, id, time, bus_bytes, resp) */
static PLI_INT32 hm_burst_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("host_mem_axi", 10, -1);
    if (c->n != 10)
        return 0;
    int resp = burst(hdl_get_int(c->arg[0]), get_u64(c->arg[1]), hdl_get_int(c->arg[2]), hdl_get_int(c->arg[3]),
                     hdl_get_int(c->arg[4]), hdl_get_int(c->arg[5]), hdl_get_int(c->arg[6]), hdl_get_time(c->arg[7]),
                     hdl_get_int(c->arg[8]));
    hdl_put_int(c->arg[9], resp);
    return 0;
}

/* $hm_read(port, addr, data): data gets the bus word at addr */
static PLI_INT32 hm_read_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("host_mem_axi", 3, 2);
    if (c->n != 3)
        return 0;
    uint8_t bytes[256];
    int nbytes = c->nbytes > 256 ? 256 : c->nbytes;
    read_word(hdl_get_int(c->arg[0]), get_u64(c->arg[1]), nbytes, bytes);
    s_vpi_vecval vec[64];
    for (int w = 0; w < (nbytes + 3) / 4; w++) {
        uint32_t x = 0;
        for (int j = 0; j < 4 && 4 * w + j < nbytes; j++)
            x |= (uint32_t)bytes[4 * w + j] << (8 * j);
        vec[w].aval = (PLI_INT32)x;
        vec[w].bval = 0;
    }
    s_vpi_value v = {.format = vpiVectorVal};
    v.value.vector = vec;
    vpi_put_value(c->arg[2], &v, NULL, vpiNoDelay);
    return 0;
}

/* $hm_write(port, addr, data, strb) */
static PLI_INT32 hm_write_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("host_mem_axi", 4, 2);
    if (c->n != 4)
        return 0;
    uint8_t bytes[256], strb[32];
    int nbytes = c->nbytes > 256 ? 256 : c->nbytes;
    get_bytes(c->arg[2], bytes, nbytes);
    get_bytes(c->arg[3], strb, (nbytes + 7) / 8);
    write_word(hdl_get_int(c->arg[0]), get_u64(c->arg[1]), nbytes, bytes, strb);
    return 0;
}

/* $hm_port_new(port, size, mem): mem gets hm_port_new's result */
static PLI_INT32 hm_port_new_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("host_mem_axi", 3, -1);
    if (c->n != 3)
        return 0;
    hdl_put_int(c->arg[2], hm_port_new(hdl_get_int(c->arg[0]), (long long)get_u64(c->arg[1])));
    return 0;
}

static void register_tasks(void)
{
    s_vpi_systf_data tf[] = {
        {vpiSysTask, 0, "$hm_burst", hm_burst_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$hm_read", hm_read_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$hm_write", hm_write_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$hm_port_new", hm_port_new_tf, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
        vpi_register_systf(&tf[i]);
}

/* the wire capture (gmii_pcap.c) is built into the same VPI module */
void gmii_pcap_register_tasks(void);
void gmii_tap_register_tasks(void);

void (*vlog_startup_routines[])(void) = {register_tasks, gmii_pcap_register_tasks, gmii_tap_register_tasks, NULL};
#endif
