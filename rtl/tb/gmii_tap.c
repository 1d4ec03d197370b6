/*
 * The C side of the testbench TAP bridge gmii_tap.v: the cable of one NIC
 * goes to a Linux TAP interface, so the Linux kernel is the NIC's link
 * partner.
 *
 * Built into the host-memory library with host_mem_axi.c and gmii_pcap.c
 * (nicsim/runner.py, build_host_mem): DPI-C imports under Verilator
 * (gt_byte, gt_end, gt_poll, gt_next), VPI system tasks under Icarus
 * (-DHOST_MEM_VPI: $gt_byte, $gt_end, $gt_poll, $gt_next).
 *
 * Attaching: Python in the simulation (nicsim.tap, through ctypes) calls
 * gt_attach(netns, ifname) once the TAP device exists: the device is made
 * persistent in a network namespace (ip tuntap add) and opened here from
 * inside that namespace (setns on this thread, then back), non-blocking.
 * Until then, and after gt_detach, the HDL's calls do nothing: what the NIC
 * sends is dropped as by an unplugged far end, and nothing is received.
 *
 * From the NIC (gt_byte per byte at the sender's pace, gt_end at the end of
 * the carrier burst): the preamble and SFD are stripped, the FCS checked
 * (IEEE 802.3 CRC-32) and stripped, and the frame written to the TAP. A
 * burst with gmii_tx_er, no SFD, a bad FCS or under 64 bytes is not written
 * (counted in gt_counters' dropped).
 * To the NIC (gt_poll when the line is idle, then gt_next per byte): one
 * frame read from the TAP (a non-blocking read: nothing waiting costs one
 * system call), sent as 7 preamble bytes, the SFD, the frame padded with
 * zeros to 60 bytes and its FCS; gt_poll answers its length on the line,
 * or 0.
 *
 * Everything runs in the simulator's thread, as host_mem_axi.c does.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hdl_call.h"

#define GT_MAX_FRAME 9018u   /* a jumbo frame with its FCS */
#define GT_BURST (8u + GT_MAX_FRAME)
#define GT_MIN_FRAME 64u     /* with FCS */
#define GT_ERR_LEN 256

static int tap_fd = -1;
static char last_error[GT_ERR_LEN];
/* from the NIC: the burst under way */
static uint8_t in_buf[GT_BURST];
static uint32_t in_len;
static int in_er;
/* to the NIC: the burst being sent, and the next byte of it */
static uint8_t out_buf[GT_BURST + 64];
static uint32_t out_len, out_pos;
/* frames written to the TAP, frames read from it, bursts dropped, failed writes */
static uint64_t counters[4];

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

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    if (!crc_table[1])
        crc_init();
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* Open ifname, a TAP device that already exists in network namespace netns
 * (its name under /var/run/netns; "" for this process's own), non-blocking.
 * Returns 0, or -1 with the reason in gt_error(). */
HDL_CALL_EXPORT int gt_attach(const char *netns, const char *ifname)
{
    int own = -1, target = -1, fd = -1, rc = -1;
    char path[300];
    if (tap_fd >= 0) {
        snprintf(last_error, sizeof(last_error), "a TAP is already attached");
        return -1;
    }
    if (netns && *netns) {
        own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
        target = open(path, O_RDONLY | O_CLOEXEC);
        if (own < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
            snprintf(last_error, sizeof(last_error), "cannot enter network namespace %s: %s", netns, strerror(errno));
            goto out;
        }
    }
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(last_error, sizeof(last_error), "cannot open /dev/net/tun: %s", strerror(errno));
    } else {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
            snprintf(last_error, sizeof(last_error), "TUNSETIFF %s: %s", ifname, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (own >= 0 && setns(own, CLONE_NEWNET) != 0) {
        snprintf(last_error, sizeof(last_error), "cannot return to the simulator's network namespace: %s",
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        tap_fd = fd;
        out_len = out_pos = 0;
        rc = 0;
    }
out:
    if (own >= 0)
        close(own);
    if (target >= 0)
        close(target);
    return rc;
}

/* Close the TAP (the device itself goes with its namespace). */
HDL_CALL_EXPORT void gt_detach(void)
{
    if (tap_fd >= 0)
        close(tap_fd);
    tap_fd = -1;
    out_len = out_pos = 0;
}

HDL_CALL_EXPORT const char *gt_error(void)
{
    return last_error;
}

/* out[0..3]: frames written to the TAP, frames read from it, bursts from the NIC dropped
 * (tx_er, no SFD, bad FCS, runt, too long), writes the TAP refused */
HDL_CALL_EXPORT void gt_counters(uint64_t *out)
{
    memcpy(out, counters, sizeof(counters));
}

static void burst_byte(int data, int er)
{
    if (in_len < sizeof(in_buf))
        in_buf[in_len] = (uint8_t)data;
    in_len++;
    in_er |= er;
}

static void burst_end(void)
{
    uint32_t n = in_len, sfd = 0;
    int good = !in_er && n <= sizeof(in_buf);
    in_len = 0;
    in_er = 0;
    while (good && sfd < n && in_buf[sfd] == 0x55)
        sfd++;
    good = good && sfd < n && in_buf[sfd] == 0xd5;
    const uint8_t *f = in_buf + sfd + 1;
    uint32_t len = good ? n - sfd - 1 : 0;
    good = good && len >= GT_MIN_FRAME;
    if (good) {
        uint32_t fcs = (uint32_t)f[len - 4] | (uint32_t)f[len - 3] << 8 | (uint32_t)f[len - 2] << 16 |
                       (uint32_t)f[len - 1] << 24;
        good = fcs == crc32_ieee(f, len - 4);
    }
    if (!good) {
        counters[2]++;
        return;
    }
    if (tap_fd < 0)
        return;
    if (write(tap_fd, f, len - 4) == (ssize_t)(len - 4))
        counters[0]++;
    else
        counters[3]++;
}

/* A frame from the TAP, made into a burst: its length on the line, or 0 */
static int poll_tap(void)
{
    if (tap_fd < 0)
        return 0;
    uint8_t *f = out_buf + 8;
    ssize_t n = read(tap_fd, f, GT_MAX_FRAME - 4);
    if (n <= 0)
        return 0;
    if (n < 60) {
        memset(f + n, 0, 60 - (size_t)n);
        n = 60;
    }
    uint32_t fcs = crc32_ieee(f, (size_t)n);
    for (int i = 0; i < 4; i++)
        f[n + i] = (uint8_t)(fcs >> (8 * i));
    memset(out_buf, 0x55, 7);
    out_buf[7] = 0xd5;
    out_len = 8u + (uint32_t)n + 4u;
    out_pos = 0;
    counters[1]++;
    return (int)out_len;
}

static int next_byte(void)
{
    return out_pos < out_len ? out_buf[out_pos++] : 0;
}

#ifndef HOST_MEM_VPI
/* ------------------------------------------------ Verilator: DPI-C imports */

HDL_CALL_EXPORT void gt_byte(int data, int er)
{
    burst_byte(data, er);
}

HDL_CALL_EXPORT void gt_end(void)
{
    burst_end();
}

HDL_CALL_EXPORT int gt_poll(void)
{
    return poll_tap();
}

HDL_CALL_EXPORT int gt_next(void)
{
    return next_byte();
}

#else
/* ------------------------------------------------- Icarus: VPI system tasks */
/* $gt_byte(data, er) */
static PLI_INT32 gt_byte_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_tap", 2, -1);
    if (c->n != 2)
        return 0;
    burst_byte(hdl_get_int(c->arg[0]), hdl_get_int(c->arg[1]));
    return 0;
}

/* $gt_end */
static PLI_INT32 gt_end_tf(PLI_BYTE8 *user)
{
    (void)user;
    burst_end();
    return 0;
}

/* $gt_poll(len): len = the next burst's length, or 0 */
static PLI_INT32 gt_poll_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_tap", 1, -1);
    if (c->n != 1)
        return 0;
    hdl_put_int(c->arg[0], poll_tap());
    return 0;
}

/* $gt_next(byte) */
static PLI_INT32 gt_next_tf(PLI_BYTE8 *user)
{
    (void)user;
    hdl_call_t *c = hdl_call_site("gmii_tap", 1, -1);
    if (c->n != 1)
        return 0;
    hdl_put_int(c->arg[0], next_byte());
    return 0;
}

/* called from host_mem_axi.c's vlog_startup_routines: one VPI module holds all three models */
void gmii_tap_register_tasks(void)
{
    s_vpi_systf_data tf[] = {
        {vpiSysTask, 0, "$gt_byte", gt_byte_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$gt_end", gt_end_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$gt_poll", gt_poll_tf, NULL, NULL, NULL},
        {vpiSysTask, 0, "$gt_next", gt_next_tf, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
        vpi_register_systf(&tf[i]);
}
#endif
