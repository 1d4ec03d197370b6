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
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,

    // TX FIFO write side
    output wire [DATA_WIDTH-1:0] fifo_data,
    output wire [LANE_W-1:0]     fifo_lo,
    output wire [LANE_W-1:0]     fifo_hi,
    output wire                  fifo_last,
    output wire                  fifo_valid,
    input  wire [FIFO_ADDR_W:0]  fifo_free,

    output wire                  tx_done,      // pulse: an RS descriptor was written back
    output wire                  stat_octets,  // pulse: stat_octets_len bytes were read
    output wire [15:0]           stat_octets_len
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: this module uses only the descriptor layout
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam BYTES = DATA_WIDTH / 8;
localparam integer DESC_BEATS = (BYTES >= NIC_DESC_SIZE) ? 1 : NIC_DESC_SIZE / BYTES;
localparam [7:0] DESC_ARLEN = DESC_BEATS[7:0] - 8'd1;
localparam [31:0] BURST_SPACE = MAX_BURST_BEATS;

localparam [2:0]
    STATE_IDLE = 3'd0,
    STATE_DESC_AR = 3'd1,
    STATE_DESC_R = 3'd2,
    STATE_DATA_AR = 3'd3,
    STATE_DATA_R = 3'd4,
    STATE_WB = 3'd5,
    STATE_WB_B = 3'd6,
    STATE_NEXT = 3'd7;

reg [2:0] state_reg;
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
reg stat_octets_reg;

wire [15:0] desc_len = desc_reg[TX_DESC_LEN_LSB +: 16];
wire desc_eop = desc_reg[TX_DESC_CMD_EOP_BIT];
wire desc_rs = desc_reg[TX_DESC_CMD_RS_BIT];

// descriptor address = base + head * 16
// ring_base is 64 bits; the DMA bus may be narrower
/* verilator lint_off UNUSEDSIGNAL */
wire [63:0] desc_addr_full = ring_base + {44'd0, head_reg, 4'd0};
wire [ADDR_WIDTH-1:0] desc_addr = desc_addr_full[ADDR_WIDTH-1:0];
/* verilator lint_on UNUSEDSIGNAL */

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
assign busy = (state_reg != STATE_IDLE);

assign m_axi_araddr = desc_fetch ? {desc_addr_reg[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}} : burst_addr;
assign m_axi_arlen = desc_fetch ? DESC_ARLEN : burst_len;
assign m_axi_arvalid = (state_reg == STATE_DESC_AR) || (state_reg == STATE_DATA_AR && fifo_free >= BURST_SPACE[FIFO_ADDR_W:0]);
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
assign fifo_lo = first_beat_reg ? first_lane_reg : {LANE_W{1'b0}};
assign fifo_hi = m_axi_rlast ? last_lane_reg : {LANE_W{1'b1}};
assign fifo_last = m_axi_rlast && burst_ends_desc_reg && desc_eop;
assign fifo_valid = (state_reg == STATE_DATA_R) && m_axi_rvalid;

assign tx_done = tx_done_reg;
assign stat_octets = stat_octets_reg;
assign stat_octets_len = desc_len;

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

always @(posedge clk) begin
    tx_done_reg <= 1'b0;
    stat_octets_reg <= 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            if (enable && ring_len != 0 && head_reg != ring_tail && !ring_reset) begin
                desc_addr_reg <= desc_addr;
                state_reg <= STATE_DESC_AR;
            end
        end
        STATE_DESC_AR: begin
            if (m_axi_arready) begin
                state_reg <= STATE_DESC_R;
            end
        end
        STATE_DESC_R: begin
            if (m_axi_rvalid) begin
                desc_reg <= desc_shifted;
                if (m_axi_rlast) begin
                    addr_reg <= desc_shifted[TX_DESC_ADDR_LSB +: ADDR_WIDTH];
                    remaining_reg <= desc_shifted[TX_DESC_LEN_LSB +: 16];
                    if (desc_shifted[TX_DESC_LEN_LSB +: 16] == 0) begin
                        // nothing to read; still honour RS
                        state_reg <= desc_shifted[TX_DESC_CMD_RS_BIT] ? STATE_WB : STATE_NEXT;
                    end else begin
                        state_reg <= STATE_DATA_AR;
                    end
                end
            end
        end
        STATE_DATA_AR: begin
            if (m_axi_arvalid && m_axi_arready) begin
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
                if (m_axi_rlast) begin
                    if (burst_ends_desc_reg) begin
                        stat_octets_reg <= 1'b1;
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
                tx_done_reg <= 1'b1;
                state_reg <= STATE_NEXT;
            end
        end
        STATE_NEXT: begin
            head_reg <= (head_reg + 1 == ring_len) ? 16'd0 : head_reg + 1;
            state_reg <= STATE_IDLE;
        end
        default: state_reg <= STATE_IDLE;
    endcase

    if (ring_reset) begin
        head_reg <= 0;
    end

    if (rst) begin
        state_reg <= STATE_IDLE;
        head_reg <= 0;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        tx_done_reg <= 1'b0;
        stat_octets_reg <= 1'b0;
    end
end

endmodule

`resetall
