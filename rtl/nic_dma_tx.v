/*
 * Transmit DMA engine: walks the TX descriptor ring from HEAD to TAIL.
 *
 * For each descriptor: fetch it (one read burst), read its buffer in bursts
 * into the TX FIFO (any byte address, any length; each FIFO word carries the
 * lanes that hold data), and, when CMD.RS is set, write back the upper 8
 * bytes with STA.DD and pulse tx_done. A frame is the run of descriptors up
 * to the one with CMD.EOP; the FIFO word holding the last byte of an EOP
 * descriptor is marked last. One AXI transaction at a time, so AXI IDs are
 * not needed and the arbiter can hold a channel until the transaction ends.
 *
 * Every FIFO word also carries the checksum-offload commands (IPCS, L4CS) of
 * the frame's first descriptor, for nic_tx_csum.
 *
 * DMA errors: a SLVERR/DECERR response on a descriptor read, a buffer read
 * (the failing beats are not queued) or a write-back pulses dma_err with the
 * burst's address and stops the ring until ring_reset. If part of a frame is
 * already in the FIFO, an abort word ends it: the FIFO discards the partial
 * frame, or, if the MAC is already sending it cut-through (a frame larger
 * than the FIFO), the MAC ends it with gmii_tx_er. A ring reset while the
 * engine is idle between two descriptors of one frame (TX_EN cleared
 * mid-frame) aborts the partial frame the same way.
 *
 * A ring reset while a descriptor is in flight abandons it (abandon_reg):
 * HEAD stays 0, no DD is written, and a frame it leaves cut short in the FIFO
 * is aborted as above. A bus transaction already issued still ends by the
 * AXI rules (the address handshake is completed, read data is drained and
 * thrown away, error responses are ignored), but starts no further burst.
 * Only a write-back whose address and data were already presented when the
 * reset came completes (AXI forbids taking them back): DD then lands in the
 * descriptor it was fetched from, yet HEAD still stays 0.
 *
 * Ring and descriptor rules (checked before any bus access, so nothing
 * outside them is ever read or written):
 * - TAIL >= LEN (whatever order they were written in) hands the NIC no
 *   descriptor: the engine idles until TAIL < LEN (by writing either).
 * - A descriptor or buffer address the bus cannot carry (any byte of it at or
 *   above 2**ADDR_WIDTH) stops the ring like an error response, with
 *   cause RANGE and the full 64-bit address, and no bus access.
 * - A descriptor with LEN above TX_DESC_LEN_MAX, LEN 0 with EOP (it would
 *   end nothing, or a frame of no bytes), or a LEN that takes its frame past
 *   TX_FRAME_LEN_MAX (the MAC's and the statistics' 16-bit frame length),
 *   stops the ring with cause DESC at the descriptor's address; no DD is
 *   written and a partial frame is aborted. LEN 0 without EOP moves no data
 *   (RS is still honoured).
 *
 * A data burst starts only once the FIFO has room for all its beats.
 * fifo_wait tells the FIFO the engine is waiting for that room: with nothing
 * else buffered, the frame is larger than the FIFO and must go out
 * cut-through for the FIFO to drain.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_dma_tx #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_WIDTH = 32,
    parameter FIFO_ADDR_W = 9,
    parameter MAX_BURST_BEATS = 256,
    parameter LANE_W = $clog2(DATA_WIDTH/8)
) (
    input  wire                  clk,
    input  wire                  rst,

    // ring, from the register file
    input  wire                  enable,
    input  wire [63:0]           ring_base,
    input  wire [15:0]           ring_len,
    input  wire [15:0]           ring_tail,
    input  wire                  ring_reset,   // BASE or LEN written: HEAD = 0
    output wire [15:0]           ring_head,
    output wire                  busy,

    // reduced AXI4 master (the top fixes size, burst type, cache, prot, id)
    output wire [ADDR_WIDTH-1:0] m_axi_araddr,
    output wire [7:0]            m_axi_arlen,
    output wire                  m_axi_arvalid,
    input  wire                  m_axi_arready,
    input  wire [DATA_WIDTH-1:0] m_axi_rdata,
    input  wire [1:0]            m_axi_rresp,
    input  wire                  m_axi_rlast,
    input  wire                  m_axi_rvalid,
    output wire                  m_axi_rready,
    output wire [ADDR_WIDTH-1:0] m_axi_awaddr,
    output wire [7:0]            m_axi_awlen,
    output wire                  m_axi_awvalid,
    input  wire                  m_axi_awready,
    output wire [DATA_WIDTH-1:0] m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                  m_axi_wlast,
    output wire                  m_axi_wvalid,
    input  wire                  m_axi_wready,
    input  wire [1:0]            m_axi_bresp,
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,

    // TX FIFO write side
    output wire [DATA_WIDTH-1:0] fifo_data,
    output wire [LANE_W-1:0]     fifo_lo,
    output wire [LANE_W-1:0]     fifo_hi,
    output wire                  fifo_last,
    output wire [1:0]            fifo_csum,    // {L4CS, IPCS} of the frame's first descriptor
    output wire                  fifo_abort,   // with fifo_last: the frame is cut short
    output wire                  fifo_valid,
    output wire                  fifo_wait,    // waiting for fifo_free to reach a burst
    input  wire [FIFO_ADDR_W:0]  fifo_free,

    output wire                  tx_done,      // pulse: an RS descriptor was written back

    output wire                  dma_err,      // pulse: an AXI error response stopped the ring
    output wire [63:0]           dma_err_addr,
    output wire                  dma_err_write,
    output wire [1:0]            dma_err_resp,
    output wire [1:0]            dma_err_cause, // 0: AXI response, 1: address range, 2: descriptor
    output wire                  stopped
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: this module uses only the descriptor layout
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam BYTES = DATA_WIDTH / 8;
localparam integer DESC_BEATS = (BYTES >= NIC_DESC_SIZE) ? 1 : NIC_DESC_SIZE / BYTES;
localparam [7:0] DESC_ARLEN = DESC_BEATS[7:0] - 8'd1;

localparam [3:0]
    STATE_IDLE = 4'd0,
    STATE_DESC_AR = 4'd1,
    STATE_DESC_R = 4'd2,
    STATE_DATA_AR = 4'd3,
    STATE_DATA_R = 4'd4,
    STATE_WB = 4'd5,
    STATE_WB_B = 4'd6,
    STATE_NEXT = 4'd7,
    STATE_ABORT = 4'd8,      // end a partial frame in the FIFO
    STATE_STOPPED = 4'd9;

reg [3:0] state_reg;
reg [15:0] head_reg;
reg [127:0] desc_reg;
reg [ADDR_WIDTH-1:0] desc_addr_reg;
reg [ADDR_WIDTH-1:0] addr_reg;
reg [15:0] remaining_reg;
reg first_beat_reg;
reg [LANE_W-1:0] first_lane_reg;
reg [LANE_W-1:0] last_lane_reg;
reg burst_ends_desc_reg;
reg aw_done_reg;
reg w_done_reg;
reg tx_done_reg;
reg in_frame_reg;          // words of an unfinished frame are in the FIFO
reg [1:0] csum_reg;        // checksum commands of the frame's first descriptor
reg frame_open_reg;        // descriptors of an unfinished frame were accepted
reg [16:0] frame_len_reg;  // ... holding this many bytes
reg rd_err_reg;
reg [1:0] rd_resp_reg;
reg [ADDR_WIDTH-1:0] burst_addr_reg;
reg abort_stop_reg;        // after ABORT: stop (error) or go idle (ring reset)
reg abandon_reg;           // a ring reset came while a descriptor was in flight
reg dma_err_reg;
reg [63:0] dma_err_addr_reg;
reg dma_err_write_reg;
reg [1:0] dma_err_resp_reg;
reg [1:0] dma_err_cause_reg;

wire desc_eop = desc_reg[TX_DESC_CMD_EOP_BIT];
wire desc_rs = desc_reg[TX_DESC_CMD_RS_BIT];

// descriptor address = base + head * 16
// ring_base is 64 bits; the DMA bus may be narrower: the bits above it only
// feed the range check. BASE is 16-byte aligned, so a descriptor lies below
// 2**ADDR_WIDTH exactly when its first byte does; the 65th bit catches a
// ring that wraps past 2**64.
wire [64:0] desc_addr_sum = {1'b0, ring_base} + {45'd0, head_reg, 4'd0};
wire [63:0] desc_addr_full = desc_addr_sum[63:0];
wire [ADDR_WIDTH-1:0] desc_addr = desc_addr_full[ADDR_WIDTH-1:0];
wire desc_out_of_range = ((desc_addr_sum >> ADDR_WIDTH) != 65'd0);

wire [ADDR_WIDTH-1:0] burst_addr;
wire [7:0] burst_len;
wire [15:0] burst_chunk;
wire [LANE_W-1:0] burst_first_lane;
wire [LANE_W-1:0] burst_last_lane;

nic_dma_burst #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .MAX_BURST_BEATS(MAX_BURST_BEATS)
) burst_inst (
    .addr(addr_reg),
    .remaining(remaining_reg),
    .beat_addr(burst_addr),
    .axlen(burst_len),
    .chunk(burst_chunk),
    .first_lane(burst_first_lane),
    .last_lane(burst_last_lane)
);

// write-back: upper 8 bytes of the descriptor with STA.DD set
wire [ADDR_WIDTH-1:0] wb_addr = desc_addr_reg + 8;
wire [63:0] wb_qword = desc_reg[127:64] | (64'd1 << (TX_DESC_STA_DD_BIT - 64));
wire [LANE_W-1:0] wb_lane = wb_addr[LANE_W-1:0];

wire desc_fetch = (state_reg == STATE_DESC_AR) || (state_reg == STATE_DESC_R);

assign ring_head = head_reg;
assign busy = (state_reg != STATE_IDLE) && (state_reg != STATE_STOPPED);
assign stopped = (state_reg == STATE_STOPPED) || (state_reg == STATE_ABORT && abort_stop_reg);
wire resp_err_r = m_axi_rresp[1];
wire in_abort = (state_reg == STATE_ABORT);

assign m_axi_araddr = desc_fetch ? {desc_addr_reg[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}} : burst_addr;
assign m_axi_arlen = desc_fetch ? DESC_ARLEN : burst_len;
// a read burst is issued only once all its beats fit the FIFO, so a frame that fits is stored whole
wire burst_room = ({{(31-FIFO_ADDR_W){1'b0}}, fifo_free} > {24'd0, burst_len});
assign m_axi_arvalid = (state_reg == STATE_DESC_AR) || (state_reg == STATE_DATA_AR && burst_room);
assign m_axi_rready = (state_reg == STATE_DESC_R) || (state_reg == STATE_DATA_R);

assign m_axi_awaddr = {wb_addr[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign m_axi_awlen = 8'd0;
assign m_axi_awvalid = (state_reg == STATE_WB) && !aw_done_reg;
assign m_axi_wdata = {{(DATA_WIDTH-64){1'b0}}, wb_qword} << (wb_lane * 8);
assign m_axi_wstrb = {{(BYTES-8){1'b0}}, 8'hff} << wb_lane;
assign m_axi_wlast = 1'b1;
assign m_axi_wvalid = (state_reg == STATE_WB) && !w_done_reg;
assign m_axi_bready = (state_reg == STATE_WB_B);

assign fifo_data = m_axi_rdata;
assign fifo_lo = (first_beat_reg && !in_abort) ? first_lane_reg : {LANE_W{1'b0}};
assign fifo_hi = (m_axi_rlast && !in_abort) ? last_lane_reg : {LANE_W{1'b1}};
assign fifo_last = in_abort || (m_axi_rlast && burst_ends_desc_reg && desc_eop);
assign fifo_abort = in_abort;
assign fifo_csum = csum_reg;
assign fifo_wait = (state_reg == STATE_DATA_AR) && !burst_room;
assign fifo_valid = ((state_reg == STATE_DATA_R) && m_axi_rvalid && !resp_err_r && !rd_err_reg && !abandon_reg)
    || (in_abort && in_frame_reg && fifo_free != 0);
assign dma_err = dma_err_reg;
assign dma_err_addr = dma_err_addr_reg;
assign dma_err_write = dma_err_write_reg;
assign dma_err_resp = dma_err_resp_reg;
assign dma_err_cause = dma_err_cause_reg;

assign tx_done = tx_done_reg;

// descriptor beats arrive lowest address first
wire [127:0] desc_shifted;
generate
    if (BYTES >= NIC_DESC_SIZE) begin : g_desc_wide
        // the rest of the beat holds neighbouring descriptors
        /* verilator lint_off UNUSEDSIGNAL */
        wire [DATA_WIDTH-1:0] sel = m_axi_rdata >> {desc_addr_reg[LANE_W-1:0], 3'b000};
        /* verilator lint_on UNUSEDSIGNAL */
        assign desc_shifted = sel[127:0];
    end else begin : g_desc_narrow
        assign desc_shifted = {m_axi_rdata, desc_reg[127:DATA_WIDTH]};
    end
endgenerate

// a buffer (LEN >= 1) lies below 2**ADDR_WIDTH when no address bit above the
// bus is set and its last byte does not carry out of the bus's width
wire [63:0] buf_start = desc_shifted[TX_DESC_ADDR_LSB +: 64];
wire [ADDR_WIDTH:0] buf_last = {1'b0, buf_start[ADDR_WIDTH-1:0]}
    + {{(ADDR_WIDTH-15){1'b0}}, desc_shifted[TX_DESC_LEN_LSB +: 16]} - 1;
wire buf_out_of_range = ((buf_start >> ADDR_WIDTH) != 64'd0) || buf_last[ADDR_WIDTH];
// TAIL at or beyond LEN (or LEN 0) hands the NIC nothing
wire ring_valid = (ring_tail < ring_len);
wire [15:0] desc_len = desc_shifted[TX_DESC_LEN_LSB +: 16];
wire [16:0] frame_len_next = (frame_open_reg ? frame_len_reg : 17'd0) + {1'b0, desc_len};
// the descriptor in flight is abandoned from the clock the reset comes
wire abandon = abandon_reg || ring_reset;
wire desc_bad = (desc_len > NIC_TX_DESC_LEN_MAX) || (desc_len == 0 && desc_shifted[TX_DESC_CMD_EOP_BIT])
    || (frame_len_next > NIC_TX_FRAME_LEN_MAX);

always @(posedge clk) begin
    tx_done_reg <= 1'b0;
    dma_err_reg <= 1'b0;

    if (fifo_valid) begin
        in_frame_reg <= !fifo_last;
    end

    case (state_reg)
        STATE_IDLE: begin
            abandon_reg <= 1'b0;
            if (ring_reset && in_frame_reg) begin
                abort_stop_reg <= 1'b0;
                state_reg <= STATE_ABORT;
            end else if (enable && ring_valid && head_reg != ring_tail && !ring_reset) begin
                desc_addr_reg <= desc_addr;
                if (desc_out_of_range) begin
                    fail(desc_addr_full, 1'b0, 2'b00, NIC_DMA_ERR_CAUSE_RANGE);
                end else begin
                    state_reg <= STATE_DESC_AR;
                end
            end
        end
        STATE_DESC_AR: begin
            rd_err_reg <= 1'b0;
            if (m_axi_arready) begin
                state_reg <= STATE_DESC_R;
            end
        end
        STATE_DESC_R: begin
            if (m_axi_rvalid) begin
                desc_reg <= desc_shifted;
                if (resp_err_r && !rd_err_reg) begin
                    rd_err_reg <= 1'b1;
                    rd_resp_reg <= m_axi_rresp;
                end
                if (m_axi_rlast && abandon) begin
                    // the fetched descriptor is thrown away
                    end_abandoned();
                end else if (m_axi_rlast && (rd_err_reg || resp_err_r)) begin
                    fail(bus_addr(desc_addr_reg), 1'b0, rd_err_reg ? rd_resp_reg : m_axi_rresp,
                         NIC_DMA_ERR_CAUSE_BUS);
                end else if (m_axi_rlast && desc_bad) begin
                    fail(bus_addr(desc_addr_reg), 1'b0, 2'b00, NIC_DMA_ERR_CAUSE_DESC);
                end else if (m_axi_rlast && desc_len != 0 && buf_out_of_range) begin
                    fail(buf_start, 1'b0, 2'b00, NIC_DMA_ERR_CAUSE_RANGE);
                end else if (m_axi_rlast) begin
                    frame_open_reg <= !desc_shifted[TX_DESC_CMD_EOP_BIT];
                    frame_len_reg <= frame_len_next;
                    if (!in_frame_reg) begin
                        csum_reg <= {desc_shifted[TX_DESC_CMD_L4CS_BIT], desc_shifted[TX_DESC_CMD_IPCS_BIT]};
                    end
                    addr_reg <= desc_shifted[TX_DESC_ADDR_LSB +: ADDR_WIDTH];
                    remaining_reg <= desc_shifted[TX_DESC_LEN_LSB +: 16];
                    if (desc_len == 0) begin
                        // nothing to read; still honour RS
                        state_reg <= desc_shifted[TX_DESC_CMD_RS_BIT] ? STATE_WB : STATE_NEXT;
                    end else begin
                        state_reg <= STATE_DATA_AR;
                    end
                end
            end
        end
        STATE_DATA_AR: begin
            if (abandon && !m_axi_arvalid) begin
                // the burst was never presented: no bus access
                end_abandoned();
            end else if (m_axi_arvalid && m_axi_arready) begin
                burst_addr_reg <= burst_addr;
                rd_err_reg <= 1'b0;
                addr_reg <= addr_reg + {{(ADDR_WIDTH-16){1'b0}}, burst_chunk};
                remaining_reg <= remaining_reg - burst_chunk;
                first_beat_reg <= 1'b1;
                first_lane_reg <= burst_first_lane;
                last_lane_reg <= burst_last_lane;
                burst_ends_desc_reg <= (burst_chunk == remaining_reg);
                state_reg <= STATE_DATA_R;
            end
        end
        STATE_DATA_R: begin
            if (m_axi_rvalid) begin
                first_beat_reg <= 1'b0;
                if (resp_err_r && !rd_err_reg) begin
                    rd_err_reg <= 1'b1;
                    rd_resp_reg <= m_axi_rresp;
                end
                if (m_axi_rlast && abandon) begin
                    // the burst's data is drained, not queued (fifo_valid)
                    end_abandoned();
                end else if (m_axi_rlast && (rd_err_reg || resp_err_r)) begin
                    fail(bus_addr(burst_addr_reg), 1'b0, rd_err_reg ? rd_resp_reg : m_axi_rresp,
                         NIC_DMA_ERR_CAUSE_BUS);
                end else if (m_axi_rlast) begin
                    if (burst_ends_desc_reg) begin
                        state_reg <= desc_rs ? STATE_WB : STATE_NEXT;
                    end else begin
                        state_reg <= STATE_DATA_AR;
                    end
                end
            end
        end
        STATE_WB: begin
            if (m_axi_awready) begin
                aw_done_reg <= 1'b1;
            end
            if (m_axi_wready) begin
                w_done_reg <= 1'b1;
            end
            if ((aw_done_reg || m_axi_awready) && (w_done_reg || m_axi_wready)) begin
                state_reg <= STATE_WB_B;
            end
        end
        STATE_WB_B: begin
            aw_done_reg <= 1'b0;
            w_done_reg <= 1'b0;
            if (m_axi_bvalid) begin
                if (m_axi_bresp[1] && !abandon) begin
                    fail(bus_addr(wb_addr), 1'b1, m_axi_bresp, NIC_DMA_ERR_CAUSE_BUS);
                end else if (m_axi_bresp[1]) begin
                    end_abandoned();
                end else begin
                    tx_done_reg <= 1'b1;
                    state_reg <= STATE_NEXT;
                end
            end
        end
        STATE_NEXT: begin
            if (abandon) begin
                // HEAD stays 0; a frame the descriptor left open is aborted
                end_abandoned();
            end else begin
                head_reg <= (head_reg + 1 == ring_len) ? 16'd0 : head_reg + 1;
                state_reg <= STATE_IDLE;
            end
        end
        STATE_ABORT: begin
            if (!in_frame_reg || fifo_free != 0) begin
                in_frame_reg <= 1'b0;
                state_reg <= abort_stop_reg ? STATE_STOPPED : STATE_IDLE;
            end
        end
        STATE_STOPPED: ;
        default: state_reg <= STATE_IDLE;
    endcase

    if (ring_reset) begin
        head_reg <= 0;
        frame_open_reg <= 1'b0;
        if (state_reg != STATE_IDLE && state_reg != STATE_STOPPED && state_reg != STATE_ABORT) begin
            abandon_reg <= 1'b1;
        end
        if (state_reg == STATE_STOPPED) begin
            state_reg <= STATE_IDLE;
        end
        // A reset that comes while an error is still ending its cut frame
        // (the FIFO full, so the abort waits for room) restarts the ring too:
        // the engine ends the frame and goes idle instead of stopping, as the
        // driver, seeing TX_STOPPED, has already rebuilt the ring.
        if (state_reg == STATE_ABORT) begin
            abort_stop_reg <= 1'b0;
            if (!in_frame_reg || fifo_free != 0) begin
                state_reg <= STATE_IDLE;
            end
        end
    end

    if (rst) begin
        state_reg <= STATE_IDLE;
        head_reg <= 0;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        tx_done_reg <= 1'b0;
        in_frame_reg <= 1'b0;
        csum_reg <= 2'b00;
        frame_open_reg <= 1'b0;
        frame_len_reg <= 17'd0;
        rd_err_reg <= 1'b0;
        abort_stop_reg <= 1'b0;
        abandon_reg <= 1'b0;
        dma_err_reg <= 1'b0;
    end
end

// a bus address as the 64-bit address the error registers report
function [63:0] bus_addr;
    input [ADDR_WIDTH-1:0] addr;
    begin
        bus_addr = 64'd0;
        bus_addr[ADDR_WIDTH-1:0] = addr;
    end
endfunction

// an error (response, range or descriptor): report it, end any partial frame, then stop
task fail;
    input [63:0] addr;
    input write;
    input [1:0] resp;
    input [1:0] cause;
    begin
        dma_err_reg <= 1'b1;
        dma_err_addr_reg <= addr;
        dma_err_write_reg <= write;
        dma_err_resp_reg <= resp;
        dma_err_cause_reg <= cause;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        abort_stop_reg <= 1'b1;
        state_reg <= STATE_ABORT;
    end
endtask

// leave an abandoned descriptor: end any frame it left open in the FIFO, then go idle
task end_abandoned;
    begin
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        abort_stop_reg <= 1'b0;
        state_reg <= STATE_ABORT;
    end
endtask

endmodule

`resetall
