/*
 * Register file and interrupt controller, an AXI4-Lite slave.
 *
 * The map and every field position come from nic_defs.vh (generated from
 * nicdef/regs.py). Unmapped addresses read 0 and writes to them or to
 * read-only registers are ignored; every access answers OKAY. Byte strobes
 * apply to read-write registers and to the write-1 registers.
 *
 * Interrupts: INT_CAUSE bits are set by hardware pulses or INT_CAUSE_SET and
 * cleared by writing 1s to INT_CAUSE (a hardware set in the same cycle wins,
 * so no event is lost). irq is a level: high while (cause & mask) != 0.
 *
 * CTRL.RST raises soft_rst for one cycle; the top resets the whole device
 * with it, this register file included, but not the AXI4-Lite handshake, so
 * the write that asked for the reset still gets its response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_regs (
    input  wire        clk,
    input  wire        rst,

    // bits 1:0 select a byte lane, which wstrb already does
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [11:0] s_axil_awaddr,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready,

    output wire        soft_rst,
    output wire        tx_en,
    output wire        rx_en,
    output wire [47:0] mac_addr,
    output wire [31:0] rx_buf_size,

    output wire [63:0] tx_ring_base,
    output wire [15:0] tx_ring_len,
    output wire [15:0] tx_ring_tail,
    output wire        tx_ring_reset,
    input  wire [15:0] tx_ring_head,
    input  wire        tx_busy,

    output wire [63:0] rx_ring_base,
    output wire [15:0] rx_ring_len,
    output wire [15:0] rx_ring_tail,
    output wire        rx_ring_reset,
    input  wire [15:0] rx_ring_head,
    input  wire        rx_busy,

    // interrupt causes raised by hardware (one-cycle pulses)
    input  wire        int_rx_done,
    input  wire        int_tx_done,
    input  wire        int_rx_miss,

    // statistics events (one-cycle pulses)
    input  wire        stat_tx_frame,
    input  wire        stat_tx_octets,
    input  wire [15:0] stat_tx_octets_len,
    input  wire        stat_rx_frame,
    input  wire [15:0] stat_rx_frame_len,
    input  wire        stat_rx_fcs_err,
    input  wire        stat_rx_missed,
    input  wire        stat_rx_filtered,
    input  wire        stat_rx_toolong,
    input  wire        stat_rx_runt,

    output wire        irq
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: not every constant of the programming model is used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam [INT_WIDTH-1:0] INT_HW_MASK = (1 << INT_RX_DONE_BIT) | (1 << INT_TX_DONE_BIT) | (1 << INT_RX_MISS_BIT);

// AXI4-Lite handshake: not touched by soft reset
reg bvalid_reg;
reg rvalid_reg;
reg [31:0] rdata_reg;

wire wr_req = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
wire rd_req = s_axil_arvalid && !rvalid_reg;
wire [11:0] wr_addr = {s_axil_awaddr[11:2], 2'b00};
wire [11:0] rd_addr = {s_axil_araddr[11:2], 2'b00};
wire [31:0] wmask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
wire [31:0] wbits = s_axil_wdata & wmask;

assign s_axil_awready = wr_req;
assign s_axil_wready = wr_req;
assign s_axil_bresp = 2'b00;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_arready = rd_req;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = 2'b00;
assign s_axil_rvalid = rvalid_reg;

// device registers: reset by rst and by soft reset
reg soft_rst_reg;
reg tx_en_reg;
reg rx_en_reg;
reg [31:0] mac_lo_reg;
reg [15:0] mac_hi_reg;
reg [31:0] rx_buf_size_reg;
reg [INT_WIDTH-1:0] int_cause_reg;
reg [INT_WIDTH-1:0] int_mask_reg;
reg irq_reg;
reg [63:0] tx_base_reg;
reg [15:0] tx_len_reg;
reg [15:0] tx_tail_reg;
reg tx_ring_reset_reg;
reg [63:0] rx_base_reg;
reg [15:0] rx_len_reg;
reg [15:0] rx_tail_reg;
reg rx_ring_reset_reg;

reg [31:0] stat_tx_frames_reg;
reg [31:0] stat_tx_octets_reg;
reg [31:0] stat_rx_frames_reg;
reg [31:0] stat_rx_octets_reg;
reg [31:0] stat_rx_fcs_err_reg;
reg [31:0] stat_rx_missed_reg;
reg [31:0] stat_rx_filtered_reg;
reg [31:0] stat_rx_toolong_reg;
reg [31:0] stat_rx_runt_reg;

assign soft_rst = soft_rst_reg;
assign tx_en = tx_en_reg;
assign rx_en = rx_en_reg;
assign mac_addr = {mac_hi_reg, mac_lo_reg};
assign rx_buf_size = rx_buf_size_reg;
assign tx_ring_base = tx_base_reg;
assign tx_ring_len = tx_len_reg;
assign tx_ring_tail = tx_tail_reg;
assign tx_ring_reset = tx_ring_reset_reg;
assign rx_ring_base = rx_base_reg;
assign rx_ring_len = rx_len_reg;
assign rx_ring_tail = rx_tail_reg;
assign rx_ring_reset = rx_ring_reset_reg;
assign irq = irq_reg;

// read-write register update under byte strobes
function [31:0] masked;
    input [31:0] old;
    begin
        masked = (old & ~wmask) | wbits;
    end
endfunction

function [15:0] masked16;
    input [15:0] old;
    begin
        masked16 = (old & ~wmask[15:0]) | wbits[15:0];
    end
endfunction

wire [INT_WIDTH-1:0] hw_set = ({{(INT_WIDTH-1){1'b0}}, int_rx_done} << INT_RX_DONE_BIT)
    | ({{(INT_WIDTH-1){1'b0}}, int_tx_done} << INT_TX_DONE_BIT)
    | ({{(INT_WIDTH-1){1'b0}}, int_rx_miss} << INT_RX_MISS_BIT);

reg [INT_WIDTH-1:0] int_cause_next;
reg [INT_WIDTH-1:0] int_mask_next;

always @* begin
    int_cause_next = int_cause_reg;
    int_mask_next = int_mask_reg;
    if (wr_req) begin
        case (wr_addr)
            REG_INT_CAUSE: int_cause_next = int_cause_next & ~wbits[INT_WIDTH-1:0];
            REG_INT_CAUSE_SET: int_cause_next = int_cause_next | wbits[INT_WIDTH-1:0];
            REG_INT_MASK_SET: int_mask_next = int_mask_next | wbits[INT_WIDTH-1:0];
            REG_INT_MASK_CLR: int_mask_next = int_mask_next & ~wbits[INT_WIDTH-1:0];
            default: ;
        endcase
    end
    int_cause_next = int_cause_next | (hw_set & INT_HW_MASK);
end

always @(posedge clk) begin
    soft_rst_reg <= 1'b0;
    tx_ring_reset_reg <= 1'b0;
    rx_ring_reset_reg <= 1'b0;

    if (wr_req) begin
        case (wr_addr)
            REG_CTRL: begin
                if (wbits[CTRL_RST_BIT]) begin
                    soft_rst_reg <= 1'b1;
                end
                if (s_axil_wstrb[0]) begin
                    tx_en_reg <= s_axil_wdata[CTRL_TX_EN_BIT];
                    rx_en_reg <= s_axil_wdata[CTRL_RX_EN_BIT];
                end
            end
            REG_MAC_LO: mac_lo_reg <= masked(mac_lo_reg);
            REG_MAC_HI: mac_hi_reg <= masked16(mac_hi_reg);
            REG_RX_BUF_SIZE: rx_buf_size_reg <= masked(rx_buf_size_reg);
            REG_TX_BASE_LO: begin
                tx_base_reg[31:0] <= masked(tx_base_reg[31:0]);
                tx_ring_reset_reg <= 1'b1;
            end
            REG_TX_BASE_HI: begin
                tx_base_reg[63:32] <= masked(tx_base_reg[63:32]);
                tx_ring_reset_reg <= 1'b1;
            end
            REG_TX_LEN: begin
                tx_len_reg <= masked16(tx_len_reg);
                tx_ring_reset_reg <= 1'b1;
            end
            REG_TX_TAIL: tx_tail_reg <= masked16(tx_tail_reg);
            REG_RX_BASE_LO: begin
                rx_base_reg[31:0] <= masked(rx_base_reg[31:0]);
                rx_ring_reset_reg <= 1'b1;
            end
            REG_RX_BASE_HI: begin
                rx_base_reg[63:32] <= masked(rx_base_reg[63:32]);
                rx_ring_reset_reg <= 1'b1;
            end
            REG_RX_LEN: begin
                rx_len_reg <= masked16(rx_len_reg);
                rx_ring_reset_reg <= 1'b1;
            end
            REG_RX_TAIL: rx_tail_reg <= masked16(rx_tail_reg);
            default: ;
        endcase
    end

    int_cause_reg <= int_cause_next;
    int_mask_reg <= int_mask_next;
    irq_reg <= |(int_cause_next & int_mask_next);

    if (stat_tx_frame) stat_tx_frames_reg <= stat_tx_frames_reg + 1;
    if (stat_tx_octets) stat_tx_octets_reg <= stat_tx_octets_reg + {16'd0, stat_tx_octets_len};
    if (stat_rx_frame) begin
        stat_rx_frames_reg <= stat_rx_frames_reg + 1;
        stat_rx_octets_reg <= stat_rx_octets_reg + {16'd0, stat_rx_frame_len};
    end
    if (stat_rx_fcs_err) stat_rx_fcs_err_reg <= stat_rx_fcs_err_reg + 1;
    if (stat_rx_missed) stat_rx_missed_reg <= stat_rx_missed_reg + 1;
    if (stat_rx_filtered) stat_rx_filtered_reg <= stat_rx_filtered_reg + 1;
    if (stat_rx_toolong) stat_rx_toolong_reg <= stat_rx_toolong_reg + 1;
    if (stat_rx_runt) stat_rx_runt_reg <= stat_rx_runt_reg + 1;

    if (rst || soft_rst_reg) begin
        soft_rst_reg <= 1'b0;
        tx_en_reg <= 1'b0;
        rx_en_reg <= 1'b0;
        mac_lo_reg <= 32'd0;
        mac_hi_reg <= 16'd0;
        rx_buf_size_reg <= NIC_DEFAULT_RX_BUF_SIZE;
        int_cause_reg <= 0;
        int_mask_reg <= 0;
        irq_reg <= 1'b0;
        tx_base_reg <= 64'd0;
        tx_len_reg <= 16'd0;
        tx_tail_reg <= 16'd0;
        tx_ring_reset_reg <= 1'b0;
        rx_base_reg <= 64'd0;
        rx_len_reg <= 16'd0;
        rx_tail_reg <= 16'd0;
        rx_ring_reset_reg <= 1'b0;
        stat_tx_frames_reg <= 0;
        stat_tx_octets_reg <= 0;
        stat_rx_frames_reg <= 0;
        stat_rx_octets_reg <= 0;
        stat_rx_fcs_err_reg <= 0;
        stat_rx_missed_reg <= 0;
        stat_rx_filtered_reg <= 0;
        stat_rx_toolong_reg <= 0;
        stat_rx_runt_reg <= 0;
    end
end

// read mux
reg [31:0] rd_data;

always @* begin
    case (rd_addr)
        REG_ID: rd_data = {NIC_VENDOR_ID, NIC_DEVICE_ID};
        REG_VERSION: rd_data = {16'd0, NIC_REVISION};
        REG_CTRL: rd_data = ({31'd0, tx_en_reg} << CTRL_TX_EN_BIT) | ({31'd0, rx_en_reg} << CTRL_RX_EN_BIT);
        REG_STATUS: rd_data = ({31'd0, tx_busy} << STATUS_TX_BUSY_BIT) | ({31'd0, rx_busy} << STATUS_RX_BUSY_BIT);
        REG_MAC_LO: rd_data = mac_lo_reg;
        REG_MAC_HI: rd_data = {16'd0, mac_hi_reg};
        REG_RX_BUF_SIZE: rd_data = rx_buf_size_reg;
        REG_INT_CAUSE: rd_data = {{(32-INT_WIDTH){1'b0}}, int_cause_reg};
        REG_INT_MASK: rd_data = {{(32-INT_WIDTH){1'b0}}, int_mask_reg};
        REG_TX_BASE_LO: rd_data = tx_base_reg[31:0];
        REG_TX_BASE_HI: rd_data = tx_base_reg[63:32];
        REG_TX_LEN: rd_data = {16'd0, tx_len_reg};
        REG_TX_HEAD: rd_data = {16'd0, tx_ring_head};
        REG_TX_TAIL: rd_data = {16'd0, tx_tail_reg};
        REG_RX_BASE_LO: rd_data = rx_base_reg[31:0];
        REG_RX_BASE_HI: rd_data = rx_base_reg[63:32];
        REG_RX_LEN: rd_data = {16'd0, rx_len_reg};
        REG_RX_HEAD: rd_data = {16'd0, rx_ring_head};
        REG_RX_TAIL: rd_data = {16'd0, rx_tail_reg};
        REG_STAT_TX_FRAMES: rd_data = stat_tx_frames_reg;
        REG_STAT_TX_OCTETS: rd_data = stat_tx_octets_reg;
        REG_STAT_RX_FRAMES: rd_data = stat_rx_frames_reg;
        REG_STAT_RX_OCTETS: rd_data = stat_rx_octets_reg;
        REG_STAT_RX_FCS_ERR: rd_data = stat_rx_fcs_err_reg;
        REG_STAT_RX_MISSED: rd_data = stat_rx_missed_reg;
        REG_STAT_RX_FILTERED: rd_data = stat_rx_filtered_reg;
        REG_STAT_RX_TOOLONG: rd_data = stat_rx_toolong_reg;
        REG_STAT_RX_RUNT: rd_data = stat_rx_runt_reg;
        default: rd_data = 32'd0;  // unmapped (and write-only) registers read 0
    endcase
end

always @(posedge clk) begin
    if (wr_req) begin
        bvalid_reg <= 1'b1;
    end else if (s_axil_bready) begin
        bvalid_reg <= 1'b0;
    end
    if (rd_req) begin
        rvalid_reg <= 1'b1;
        rdata_reg <= rd_data;
    end else if (s_axil_rready) begin
        rvalid_reg <= 1'b0;
    end

    if (rst) begin
        bvalid_reg <= 1'b0;
        rvalid_reg <= 1'b0;
    end
end

endmodule

`resetall
