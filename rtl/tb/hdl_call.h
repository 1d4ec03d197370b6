/*
 * What the testbench's C models (host_mem_axi.c, gmii_pcap.c, gmii_tap.c)
 * share to be called from the HDL, in both builds of the one library they
 * make (nicsim/runner.py, build_host_mem):
 *   - HDL_CALL_EXPORT marks a function the library exports: a DPI-C import
 *     under Verilator, or a call from Python through ctypes;
 *   - with -DHOST_MEM_VPI (Icarus, VPI system tasks): a task's call site,
 *     its argument handles found at its first call and kept as the call's
 *     user data (so a task called every clock does not iterate its arguments
 *     each time), its argument count checked once; and reading and writing
 *     the integer and $time arguments.
 * Everything is static inline: each model uses part of it, and the library
 * is compiled with -Wall -Werror.
 */
#ifndef HDL_CALL_H
#define HDL_CALL_H

#if defined(__GNUC__)
#define HDL_CALL_EXPORT __attribute__((visibility("default")))
#else
#define HDL_CALL_EXPORT
#endif

#ifdef HOST_MEM_VPI
#include <stdint.h>
#include <stdlib.h>
#include <vpi_user.h>

#define HDL_CALL_MAX_ARGS 10

/* a system task's call site */
typedef struct {
    int n;                            /* its arguments (only the first HDL_CALL_MAX_ARGS kept) */
    vpiHandle arg[HDL_CALL_MAX_ARGS];
    int nbytes;                       /* width in bytes of argument size_arg (hdl_call_site), else 0 */
} hdl_call_t;

/* The call site of the system task running now. A count of arguments other
 * than `want` is a testbench bug: `model` names the C model in the message,
 * the simulation is finished, and the caller must check c->n before using
 * c->arg. size_arg >= 0: c->nbytes is that argument's width in bytes. */
static inline hdl_call_t *hdl_call_site(const char *model, int want, int size_arg)
{
    vpiHandle callh = vpi_handle(vpiSysTfCall, NULL);
    hdl_call_t *c = vpi_get_userdata(callh);
    if (c)
        return c;
    c = calloc(1, sizeof(*c));
    vpiHandle it = vpi_iterate(vpiArgument, callh);
    vpiHandle h;
    while (it && (h = vpi_scan(it)) != NULL) {
        if (c->n < HDL_CALL_MAX_ARGS)
            c->arg[c->n] = h;
        c->n++;
    }
    if (c->n != want) {
        vpi_printf("%s: %s takes %d arguments, got %d\n", model, vpi_get_str(vpiName, callh), want, c->n);
        vpi_control(vpiFinish, 1);
    }
    if (size_arg >= 0 && size_arg < c->n && size_arg < HDL_CALL_MAX_ARGS)
        c->nbytes = (vpi_get(vpiSize, c->arg[size_arg]) + 7) / 8;
    vpi_put_userdata(callh, c);
    return c;
}

static inline int hdl_get_int(vpiHandle h)
{
    s_vpi_value v = {.format = vpiIntVal};
    vpi_get_value(h, &v);
    return v.value.integer;
}

/* $time as an argument: Icarus gives it as a time value in the caller's
 * time unit (ns in this testbench), not as a vector */
static inline uint64_t hdl_get_time(vpiHandle h)
{
    s_vpi_value v = {.format = vpiTimeVal};
    vpi_get_value(h, &v);
    return ((uint64_t)(uint32_t)v.value.time->high << 32) | (uint32_t)v.value.time->low;
}

static inline void hdl_put_int(vpiHandle h, int x)
{
    s_vpi_value v = {.format = vpiIntVal};
    v.value.integer = x;
    vpi_put_value(h, &v, NULL, vpiNoDelay);
}
#endif /* HOST_MEM_VPI */

#endif /* HDL_CALL_H */
