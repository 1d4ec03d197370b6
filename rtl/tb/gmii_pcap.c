/*
 * The C side of the testbench wire capture gmii_pcap.v: each carrier burst
 * of one GMII transmit path becomes one record of a classic pcap file, so
 * Wireshark, tshark and scapy open the wire of a simulation.
 *
 * Built into the host-memory library with host_mem_axi.c (nicsim/runner.py,
 * build_host_mem): a shared library the Verilator model links against
 * (gp_open, gp_byte, gp_end as DPI-C imports) and a VPI module vvp loads
 * (-DHOST_MEM_VPI: the system tasks $gp_open, $gp_byte, $gp_end).
 *
 * Files: gp_open(NAME) opens $NICSIM_ARTIFACTS/NAME.pcap (the folder is
 * made if missing) when that environment variable is set, and answers a
 * handle; unset or unwritable, it answers -1 and the HDL never calls again.
 *   - pcap: nanosecond-resolution magic 0xa1b23c4d, version 2.4,
 *     LINKTYPE_ETHERNET (1), snap length GP_SNAPLEN. A record is the burst
 *     with its preamble and SFD stripped and its FCS kept (Wireshark shows
 *     the last 4 bytes as the frame check sequence), stamped with the
 *     simulated time of the clock edge that sampled the SFD, in ns. A burst
 *     with no SFD is written whole, preamble included, stamped with its
 *     first byte's time. Each record is flushed at once: a run that
 *     crashes leaves a file readable up to its last frame.
 *   - NAME.errors.txt, made at the first bad burst, one line for each:
 *       frame <n> at <ns> ns, <bytes> bytes: <problem>[; <problem>...]
 *     n counts the records of NAME.pcap from 1 (Wireshark's frame.number);
 *     problems: gmii_tx_er (on which bytes of the record, or in the
 *     preamble), no SFD (a framing error, IEEE 802.3 clause 35: a byte
 *     other than 0x55 before any 0xD5, or none at all), a bad FCS (IEEE
 *     802.3 clause 3.2.9: the CRC-32 of the bytes before it, least
 *     significant byte first), shorter than an FCS, a runt (under 64 bytes
 *     with the FCS, clause 4.4.2), longer than the snap length, cut by the
 *     end of the simulation.
 * Everything is closed at process exit (atexit); gp_retarget (for Python,
 * through ctypes) closes the open files and reopens them in another folder.
 *
 * Everything runs in the simulator's thread, as host_mem_axi.c does.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hdl_call.h"

#define GP_MAX_WIRES 16
#define GP_NAME_LEN 64
#define GP_PATH_LEN 4096
#define GP_FILE_LEN (GP_PATH_LEN + GP_NAME_LEN + 16) /* folder/NAME.errors.txt */
#define GP_SNAPLEN 262144u /* bytes kept of one burst (a jumbo frame is 9018) */
#define GP_ENV "NICSIM_ARTIFACTS"
#define GP_MAGIC_NS 0xa1b23c4du
#define GP_LINKTYPE_ETHERNET 1u
#define GP_MIN_FRAME 64u /* with FCS */

typedef struct {
    char name[GP_NAME_LEN]; /* "" while the slot is free */
    FILE *pcap;             /* NULL: not capturing (retargeted to nothing, or no file) */
    FILE *errors;           /* made at the first bad burst */
    char errors_path[GP_FILE_LEN];
    uint64_t records;       /* records written to pcap */
    /* the burst under way */
    int active;
    uint8_t *buf;
    uint32_t kept;          /* bytes in buf */
    uint64_t total;         /* bytes seen */
    uint64_t first_ns, sfd_ns;
    int64_t sfd_at;         /* index of the SFD; -1 none yet */
    int64_t framing_at;     /* index of a byte other than 0x55 before any SFD; -1 none */
    int64_t er_first, er_last; /* indexes of the first and last byte with gmii_tx_er; -1 none */
} gp_wire_t;

static gp_wire_t wires[GP_MAX_WIRES];
static char folder[GP_PATH_LEN];
static int exit_hooked;
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* IEEE 802.3 CRC-32 (reflected, init and final xor all ones): zlib.crc32 */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t x)
{
    memcpy(p, &x, 4); /* native order: a reader tells it from the magic */
}

/* mkdir -p */
static int make_folder(const char *path)
{
    char tmp[GP_PATH_LEN];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(tmp, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}

/* open the wire's pcap in `folder` and write its header; 0, or -1 */
static int open_files(gp_wire_t *w)
{
    char path[GP_FILE_LEN];
    snprintf(path, sizeof(path), "%s/%s.pcap", folder, w->name);
    snprintf(w->errors_path, sizeof(w->errors_path), "%s/%s.errors.txt", folder, w->name);
    if (make_folder(folder) != 0 || !(w->pcap = fopen(path, "wb"))) {
        fprintf(stderr, "gmii_pcap: cannot write %s: %s (no capture of this wire)\n", path, strerror(errno));
        return -1;
    }
    uint8_t hdr[24];
    put32(hdr, GP_MAGIC_NS);
    uint16_t major = 2, minor = 4;
    memcpy(hdr + 4, &major, 2);
    memcpy(hdr + 6, &minor, 2);
    put32(hdr + 8, 0);  /* thiszone */
    put32(hdr + 12, 0); /* sigfigs */
    put32(hdr + 16, GP_SNAPLEN);
    put32(hdr + 20, GP_LINKTYPE_ETHERNET);
    fwrite(hdr, 1, sizeof(hdr), w->pcap);
    fflush(w->pcap);
    w->records = 0;
    w->errors = NULL;
    return 0;
}

/* append a problem to a line being built */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void note(char *line, size_t size, const char *fmt, ...)
{
    size_t n = strlen(line);
    if (n + 3 >= size)
        return;
    if (n) {
        strcat(line, "; ");
        n += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, size - n, fmt, ap);
    va_end(ap);
}

/* write the burst under way as one record (cut: the simulation ended in it) */
static void end_burst(gp_wire_t *w, int cut)
{
    if (!w->active)
        return;
    w->active = 0;
    if (!w->pcap)
        return;
    int framed = w->sfd_at >= 0 && w->framing_at < 0;
    uint64_t skip = framed ? (uint64_t)w->sfd_at + 1 : 0; /* preamble and SFD */
    uint64_t ts = framed ? w->sfd_ns : w->first_ns;
    uint32_t caplen = w->kept > skip ? (uint32_t)(w->kept - skip) : 0;
    uint64_t wirelen = w->total - skip;
    const uint8_t *data = w->buf + skip;

    uint8_t rec[16];
    put32(rec, (uint32_t)(ts / 1000000000u));
    put32(rec + 4, (uint32_t)(ts % 1000000000u));
    put32(rec + 8, caplen);
    put32(rec + 12, wirelen > 0xffffffffu ? 0xffffffffu : (uint32_t)wirelen);
    fwrite(rec, 1, sizeof(rec), w->pcap);
    fwrite(data, 1, caplen, w->pcap);
    fflush(w->pcap);
    w->records++;

    char line[512] = "";
    if (!framed) {
        if (w->framing_at >= 0)
            note(line, sizeof(line), "no SFD: byte %llu (0x%02x) is neither preamble nor SFD, written whole",
                 (unsigned long long)w->framing_at, w->framing_at < (int64_t)w->kept ? w->buf[w->framing_at] : 0u);
        else
            note(line, sizeof(line), "no SFD: %llu bytes of preamble alone, written whole",
                 (unsigned long long)w->total);
    }
    if (w->er_first >= 0) {
        if (w->er_last < (int64_t)skip)
            note(line, sizeof(line), "gmii_tx_er in the preamble");
        else
            note(line, sizeof(line), "gmii_tx_er on bytes %llu..%llu",
                 (unsigned long long)(w->er_first < (int64_t)skip ? 0 : (uint64_t)w->er_first - skip),
                 (unsigned long long)((uint64_t)w->er_last - skip));
    }
    if (framed && wirelen < 4) {
        note(line, sizeof(line), "shorter than an FCS");
    } else if (framed && caplen == wirelen) {
        uint32_t fcs;
        memcpy(&fcs, data + caplen - 4, 4); /* least significant byte first on the wire */
        uint32_t want = crc32_ieee(data, caplen - 4);
        if (fcs != want)
            note(line, sizeof(line), "bad FCS 0x%08x (the CRC of the bytes before it is 0x%08x)", fcs, want);
    }
    if (framed && wirelen < GP_MIN_FRAME)
        note(line, sizeof(line), "runt: %llu bytes with the FCS, under 64", (unsigned long long)wirelen);
    if (caplen < wirelen)
        note(line, sizeof(line), "longer than the snap length: %u of %llu bytes kept", caplen,
             (unsigned long long)wirelen);
    if (cut)
        note(line, sizeof(line), "cut by the end of the simulation");
    if (!line[0])
        return;
    if (!w->errors && !(w->errors = fopen(w->errors_path, "w")))
        return;
    fprintf(w->errors, "frame %llu at %llu ns, %llu bytes: %s\n", (unsigned long long)w->records,
            (unsigned long long)ts, (unsigned long long)wirelen, line);
    fflush(w->errors);
}

static void close_wire(gp_wire_t *w, int cut)
{
    end_burst(w, cut);
    if (w->pcap)
        fclose(w->pcap);
    if (w->errors)
        fclose(w->errors);
    w->pcap = w->errors = NULL;
}

static void close_all(void)
{
    for (int i = 0; i < GP_MAX_WIRES; i++)
        if (wires[i].name[0])
            close_wire(&wires[i], 1);
}

/* ------------------------------------------------------------ for Python */

/* Close every wire's files (a burst under way is written, marked cut) and
 * reopen them, empty, in `dir`; with dir NULL or "" stop writing until the
 * next call. Wires that were never opened (NICSIM_ARTIFACTS unset at time
 * 0) stay off. Returns how many wires now write, or -1 if a file could not
 * be opened. */
HDL_CALL_EXPORT int gp_retarget(const char *dir)
{
    int n = 0, failed = 0;
    if (dir && strlen(dir) >= sizeof(folder))
        return -1;
    snprintf(folder, sizeof(folder), "%s", dir ? dir : "");
    for (int i = 0; i < GP_MAX_WIRES; i++) {
        gp_wire_t *w = &wires[i];
        if (!w->name[0])
            continue;
        close_wire(w, 1);
        if (folder[0]) {
            if (open_files(w) == 0)
                n++;
            else
                failed = 1;
        }
    }
    return failed ? -1 : n;
}

/* Records written to wire `name`'s current pcap, or -1 if no such wire writes. */
HDL_CALL_EXPORT long long gp_records(const char *name)
{
    for (int i = 0; i < GP_MAX_WIRES; i++)
        if (wires[i].name[0] && strcmp(wires[i].name, name) == 0 && wires[i].pcap)
            return (long long)wires[i].records;
    return -1;
}

/* ------------------------------------------------- for the HDL (gmii_pcap.v) */

/* Start capturing wire `name` if NICSIM_ARTIFACTS is set: its handle, or -1. */
HDL_CALL_EXPORT int gp_open(const char *name)
{
    const char *env = getenv(GP_ENV);
    if (!env || !env[0] || !name || !name[0] || strlen(name) >= GP_NAME_LEN)
        return -1;
    int slot = -1;
    for (int i = 0; i < GP_MAX_WIRES && slot < 0; i++)
        if (!wires[i].name[0])
            slot = i;
    if (slot < 0)
        return -1;
    if (!crc_table[1])
        crc_init();
    if (!folder[0])
        snprintf(folder, sizeof(folder), "%s", env);
    gp_wire_t *w = &wires[slot];
    memset(w, 0, sizeof(*w));
    snprintf(w->name, sizeof(w->name), "%s", name);
    if (!(w->buf = malloc(GP_SNAPLEN)) || open_files(w) != 0) {
        free(w->buf);
        memset(w, 0, sizeof(*w));
        return -1;
    }
    if (!exit_hooked) {
        atexit(close_all);
        exit_hooked = 1;
    }
    return slot;
}

static gp_wire_t *wire(int handle)
{
    return (handle >= 0 && handle < GP_MAX_WIRES && wires[handle].name[0]) ? &wires[handle] : NULL;
}

/* One byte of a burst, sampled at time_ns with gmii_tx_er = er. */
static void burst_byte(int handle, int data, int er, uint64_t time_ns)
{
    gp_wire_t *w = wire(handle);
    if (!w)
        return;
    if (!w->active) {
        w->active = 1;
        w->kept = 0;
        w->total = 0;
        w->first_ns = time_ns;
        w->sfd_at = w->framing_at = w->er_first = w->er_last = -1;
    }
    uint8_t b = (uint8_t)data;
    int64_t at = (int64_t)w->total;
    if (w->sfd_at < 0 && w->framing_at < 0) {
        if (b == 0xd5) {
            w->sfd_at = at;
            w->sfd_ns = time_ns;
        } else if (b != 0x55) {
            w->framing_at = at;
        }
    }
    if (er) {
        if (w->er_first < 0)
            w->er_first = at;
        w->er_last = at;
    }
    if (w->kept < GP_SNAPLEN)
        w->buf[w->kept++] = b;
    w->total++;
}

#ifndef HOST_MEM_VPI
/* ------------------------------------------------ Verilator: DPI-C imports */

HDL_CALL_EXPORT void gp_byte(int handle, int data, int er, long long time_ns)
{
    burst_byte(handle, data, er, (uint64_t)time_ns);
}

HDL_CALL_EXPORT void gp_end(int handle)
{
    gp_wire_t *w = wire(handle);
    if (w)
        end_burst(w, 0);
}

#else
/* ------------------------------------------------- Icarus: VPI system tasks */
/* $gp_open(name, handle) */
static PLI_INT32 gp_open_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_pcap", 2, -1);
    if (c->n != 2)
        return 0;
    s_vpi_value v = {.format = vpiStringVal};
    vpi_get_value(c->arg[0], &v);
    hdl_put_int(c->arg[1], gp_open(v.value.str));
    return 0;
}

/* $gp_byte(handle, data, er, $time) */
static PLI_INT32 gp_byte_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_pcap", 4, -1);
    if (c->n != 4)
        return 0;
    burst_byte(hdl_get_int(c->arg[0]), hdl_get_int(c->arg[1]), hdl_get_int(c->arg[2]), hdl_get_time(c->arg[3]));
    return 0;
}

/* $gp_end(handle) */
static PLI_INT32 gp_end_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_pcap", 1, -1);
    if (c->n != 1)
        return 0;
    gp_wire_t *w = wire(hdl_get_int(c->arg[0]));
    if (w)
        end_burst(w, 0);
    return 0;
}

/* called from host_mem_axi.c's vlog_startup_routines: one VPI module holds both */
void gmii_pcap_register_tasks(void)
{
    s_vpi_systf_data tf[] = {
        {vpiSysTask, 0, "$gp_open", gp_open_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$gp_byte", gp_byte_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$gp_end", gp_end_tf, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
        vpi_register_systf(&tf[i]);
}
#endif
