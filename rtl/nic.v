/*
 * The simulated NIC: an AXI4-Lite register slave, one AXI4 DMA master and a
 * GMII port, all on one clock (clk, 125 MHz: one GMII byte per cycle, so
 * 1 Gb/s line rate; the AXI buses run on the same clock).
 *
 *   host --AXI4-Lite--> nic_regs (registers, interrupts, statistics)
 *   host <--AXI4------- nic_axi_arb <-- nic_dma_tx (descriptor + buffer reads)
 *                                   <-- nic_dma_rx (descriptor reads, buffer writes)
 *   nic_dma_tx -> nic_tx_fifo -> nic_mac_tx -> gmii_tx*
 *   gmii_rx*   -> nic_mac_rx -> nic_rx_fifo -> nic_dma_rx
 *
 * rst is synchronous and active high; CTRL.RST resets the same state except
 * the AXI4-Lite handshake (see nic_regs).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic #(
    parameter DATA_WIDTH = 64,           // DMA bus: 64, 128, 256, 512, ...
    parameter ADDR_WIDTH = 32,           // DMA address bits
    parameter ID_WIDTH = 8,              // DMA AXI ID bits (IDs are always 0)
    parameter TX_FIFO_BYTES = 4096,      // store-and-forward TX buffer
    parameter RX_FIFO_BYTES = 4096       // frames wait here for their FCS verdict
) (
    input  wire                    clk,
    input  wire                    rst,

    // AXI4-Lite register slave
    input  wire [11:0]             s_axil_awaddr,
    input  wire [2:0]              s_axil_awprot,
    input  wire                    s_axil_awvalid,
    output wire                    s_axil_awready,
    input  wire [31:0]             s_axil_wdata,
    input  wire [3:0]              s_axil_wstrb,
    input  wire                    s_axil_wvalid,
    output wire                    s_axil_wready,
    output wire [1:0]              s_axil_bresp,
    output wire                    s_axil_bvalid,
    input  wire                    s_axil_bready,
    input  wire [11:0]             s_axil_araddr,
    input  wire [2:0]              s_axil_arprot,
    input  wire                    s_axil_arvalid,
    output wire                    s_axil_arready,
    output wire [31:0]             s_axil_rdata,
    output wire [1:0]              s_axil_rresp,
    output wire                    s_axil_rvalid,
    input  wire                    s_axil_rready,

    // AXI4 DMA master
    output wire [ID_WIDTH-1:0]     m_axi_awid,
    output wire [ADDR_WIDTH-1:0]   m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
    output wire                    m_axi_awlock,
    output wire [3:0]              m_axi_awcache,
    output wire [2:0]              m_axi_awprot,
    output wire                    m_axi_awvalid,
    input  wire                    m_axi_awready,
    output wire [DATA_WIDTH-1:0]   m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                    m_axi_wlast,
    output wire                    m_axi_wvalid,
    input  wire                    m_axi_wready,
    input  wire [ID_WIDTH-1:0]     m_axi_bid,
    input  wire [1:0]              m_axi_bresp,
    input  wire                    m_axi_bvalid,
    output wire                    m_axi_bready,
    output wire [ID_WIDTH-1:0]     m_axi_arid,
    output wire [ADDR_WIDTH-1:0]   m_axi_araddr,
    output wire [7:0]              m_axi_arlen,
    output wire [2:0]              m_axi_arsize,
    output wire [1:0]              m_axi_arburst,
    output wire                    m_axi_arlock,
    output wire [3:0]              m_axi_arcache,
    output wire [2:0]              m_axi_arprot,
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [ID_WIDTH-1:0]     m_axi_rid,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,
    output wire                    m_axi_rready,

    // GMII
    output wire [7:0]              gmii_txd,
    output wire                    gmii_tx_en,
    output wire                    gmii_tx_er,
    input  wire [7:0]              gmii_rxd,
    input  wire                    gmii_rx_dv,
    input  wire                    gmii_rx_er,

    output wire                    irq
);

localparam BYTES = DATA_WIDTH / 8;
localparam LANE_W = $clog2(BYTES);
localparam TX_FIFO_ADDR_W = $clog2(TX_FIFO_BYTES / BYTES);
localparam RX_FIFO_ADDR_W = $clog2(RX_FIFO_BYTES / BYTES);
// a TX read burst must fit the FIFO's free space, which the engine waits for
localparam TX_MAX_BURST = ((TX_FIFO_BYTES / BYTES) / 2 < 256) ? (TX_FIFO_BYTES / BYTES) / 2 : 256;
localparam RX_MAX_BURST = 256;

// AXI-Lite protection bits and AXI IDs/responses carry nothing this device
// uses: one transaction per channel at a time, and error responses are not
// reported yet (INT_CAUSE.DMA_ERR is reserved).
/* verilator lint_off UNUSEDSIGNAL */
wire unused = &{1'b0, s_axil_awprot, s_axil_arprot, m_axi_bid, m_axi_bresp, m_axi_rid, m_axi_rresp};
/* verilator lint_on UNUSEDSIGNAL */

// soft reset (CTRL.RST) resets everything rst does, except the AXI-Lite handshake
wire soft_rst;
wire dev_rst = rst || soft_rst;

wire tx_en, rx_en;
wire [47:0] mac_addr;
wire [31:0] rx_buf_size;
wire [63:0] tx_ring_base, rx_ring_base;
wire [15:0] tx_ring_len, tx_ring_tail, tx_ring_head;
wire [15:0] rx_ring_len, rx_ring_tail, rx_ring_head;
wire tx_ring_reset, rx_ring_reset;
wire tx_busy, rx_busy;
wire tx_done, rx_done, rx_miss;
wire stat_tx_frame, stat_tx_octets;
wire [15:0] stat_tx_octets_len;
wire stat_rx_frame;
wire [15:0] stat_rx_frame_len;
wire stat_rx_fcs_err, stat_rx_filtered, stat_rx_runt, stat_rx_toolong;
wire rx_fifo_overflow;

nic_regs regs_inst (
    .clk(clk),
    .rst(rst),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .soft_rst(soft_rst),
    .tx_en(tx_en),
    .rx_en(rx_en),
    .mac_addr(mac_addr),
    .rx_buf_size(rx_buf_size),
    .tx_ring_base(tx_ring_base),
    .tx_ring_len(tx_ring_len),
    .tx_ring_tail(tx_ring_tail),
    .tx_ring_reset(tx_ring_reset),
    .tx_ring_head(tx_ring_head),
    .tx_busy(tx_busy),
    .rx_ring_base(rx_ring_base),
    .rx_ring_len(rx_ring_len),
    .rx_ring_tail(rx_ring_tail),
    .rx_ring_reset(rx_ring_reset),
    .rx_ring_head(rx_ring_head),
    .rx_busy(rx_busy),
    .int_rx_done(rx_done),
    .int_tx_done(tx_done),
    .int_rx_miss(rx_miss || rx_fifo_overflow),
    .stat_tx_frame(stat_tx_frame),
    .stat_tx_octets(stat_tx_octets),
    .stat_tx_octets_len(stat_tx_octets_len),
    .stat_rx_frame(stat_rx_frame),
    .stat_rx_frame_len(stat_rx_frame_len),
    .stat_rx_fcs_err(stat_rx_fcs_err),
    .stat_rx_missed(rx_miss || rx_fifo_overflow),
    .stat_rx_filtered(stat_rx_filtered),
    .stat_rx_toolong(stat_rx_toolong),
    .stat_rx_runt(stat_rx_runt),
    .irq(irq)
);

// ---------------------------------------------------------------- DMA port

wire [ADDR_WIDTH-1:0] tx_araddr, rx_araddr, tx_awaddr, rx_awaddr;
wire [7:0] tx_arlen, rx_arlen, tx_awlen, rx_awlen;
wire tx_arvalid, tx_arready, rx_arvalid, rx_arready;
wire [DATA_WIDTH-1:0] tx_rdata, rx_rdata;
wire tx_rlast, tx_rvalid, tx_rready, rx_rlast, rx_rvalid, rx_rready;
wire tx_awvalid, tx_awready, rx_awvalid, rx_awready;
wire [DATA_WIDTH-1:0] tx_wdata, rx_wdata;
wire [BYTES-1:0] tx_wstrb, rx_wstrb;
wire tx_wlast, tx_wvalid, tx_wready, rx_wlast, rx_wvalid, rx_wready;
wire tx_bvalid, tx_bready, rx_bvalid, rx_bready;

nic_axi_arb #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH)
) arb_inst (
    .clk(clk),
    .rst(dev_rst),
    .s0_axi_araddr(tx_araddr),
    .s0_axi_arlen(tx_arlen),
    .s0_axi_arvalid(tx_arvalid),
    .s0_axi_arready(tx_arready),
    .s0_axi_rdata(tx_rdata),
    .s0_axi_rlast(tx_rlast),
    .s0_axi_rvalid(tx_rvalid),
    .s0_axi_rready(tx_rready),
    .s0_axi_awaddr(tx_awaddr),
    .s0_axi_awlen(tx_awlen),
    .s0_axi_awvalid(tx_awvalid),
    .s0_axi_awready(tx_awready),
    .s0_axi_wdata(tx_wdata),
    .s0_axi_wstrb(tx_wstrb),
    .s0_axi_wlast(tx_wlast),
    .s0_axi_wvalid(tx_wvalid),
    .s0_axi_wready(tx_wready),
    .s0_axi_bvalid(tx_bvalid),
    .s0_axi_bready(tx_bready),
    .s1_axi_araddr(rx_araddr),
    .s1_axi_arlen(rx_arlen),
    .s1_axi_arvalid(rx_arvalid),
    .s1_axi_arready(rx_arready),
    .s1_axi_rdata(rx_rdata),
    .s1_axi_rlast(rx_rlast),
    .s1_axi_rvalid(rx_rvalid),
    .s1_axi_rready(rx_rready),
    .s1_axi_awaddr(rx_awaddr),
    .s1_axi_awlen(rx_awlen),
    .s1_axi_awvalid(rx_awvalid),
    .s1_axi_awready(rx_awready),
    .s1_axi_wdata(rx_wdata),
    .s1_axi_wstrb(rx_wstrb),
    .s1_axi_wlast(rx_wlast),
    .s1_axi_wvalid(rx_wvalid),
    .s1_axi_wready(rx_wready),
    .s1_axi_bvalid(rx_bvalid),
    .s1_axi_bready(rx_bready),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready),
    .m_axi_awaddr(m_axi_awaddr),
    .m_axi_awlen(m_axi_awlen),
    .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata),
    .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready)
);

// every burst is INCR, full bus width; IDs are 0
assign m_axi_awid = {ID_WIDTH{1'b0}};
assign m_axi_awsize = LANE_W[2:0];
assign m_axi_awburst = 2'b01;
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b010;
assign m_axi_arid = {ID_WIDTH{1'b0}};
assign m_axi_arsize = LANE_W[2:0];
assign m_axi_arburst = 2'b01;
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot = 3'b010;

// --------------------------------------------------------------- transmit

wire [DATA_WIDTH-1:0] txf_data;
wire [LANE_W-1:0] txf_lo, txf_hi;
wire txf_last, txf_valid;
wire [TX_FIFO_ADDR_W:0] txf_free;
wire [7:0] mac_tx_tdata;
wire mac_tx_tvalid, mac_tx_tready, mac_tx_tlast, mac_tx_start_ok;

nic_dma_tx #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .FIFO_ADDR_W(TX_FIFO_ADDR_W),
    .MAX_BURST_BEATS(TX_MAX_BURST)
) dma_tx_inst (
    .clk(clk),
    .rst(dev_rst),
    .enable(tx_en),
    .ring_base(tx_ring_base),
    .ring_len(tx_ring_len),
    .ring_tail(tx_ring_tail),
    .ring_reset(tx_ring_reset),
    .ring_head(tx_ring_head),
    .busy(tx_busy),
    .m_axi_araddr(tx_araddr),
    .m_axi_arlen(tx_arlen),
    .m_axi_arvalid(tx_arvalid),
    .m_axi_arready(tx_arready),
    .m_axi_rdata(tx_rdata),
    .m_axi_rlast(tx_rlast),
    .m_axi_rvalid(tx_rvalid),
    .m_axi_rready(tx_rready),
    .m_axi_awaddr(tx_awaddr),
    .m_axi_awlen(tx_awlen),
    .m_axi_awvalid(tx_awvalid),
    .m_axi_awready(tx_awready),
    .m_axi_wdata(tx_wdata),
    .m_axi_wstrb(tx_wstrb),
    .m_axi_wlast(tx_wlast),
    .m_axi_wvalid(tx_wvalid),
    .m_axi_wready(tx_wready),
    .m_axi_bvalid(tx_bvalid),
    .m_axi_bready(tx_bready),
    .fifo_data(txf_data),
    .fifo_lo(txf_lo),
    .fifo_hi(txf_hi),
    .fifo_last(txf_last),
    .fifo_valid(txf_valid),
    .fifo_free(txf_free),
    .tx_done(tx_done),
    .stat_octets(stat_tx_octets),
    .stat_octets_len(stat_tx_octets_len)
);

nic_tx_fifo #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_W(TX_FIFO_ADDR_W)
) tx_fifo_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_data(txf_data),
    .s_lo(txf_lo),
    .s_hi(txf_hi),
    .s_last(txf_last),
    .s_valid(txf_valid),
    .s_free(txf_free),
    .m_axis_tdata(mac_tx_tdata),
    .m_axis_tvalid(mac_tx_tvalid),
    .m_axis_tready(mac_tx_tready),
    .m_axis_tlast(mac_tx_tlast),
    .start_ok(mac_tx_start_ok)
);

nic_mac_tx mac_tx_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_axis_tdata(mac_tx_tdata),
    .s_axis_tvalid(mac_tx_tvalid),
    .s_axis_tready(mac_tx_tready),
    .s_axis_tlast(mac_tx_tlast),
    .start_ok(mac_tx_start_ok),
    .gmii_txd(gmii_txd),
    .gmii_tx_en(gmii_tx_en),
    .gmii_tx_er(gmii_tx_er),
    .stat_tx_frame(stat_tx_frame)
);

// ---------------------------------------------------------------- receive

wire [7:0] mac_rx_data;
wire mac_rx_valid, mac_rx_eof, mac_rx_eof_good;
wire [DATA_WIDTH-1:0] rxf_data;
wire rxf_valid, rxf_ready;
wire [15:0] rxf_len;
wire rxf_len_valid, rxf_len_ready;

nic_mac_rx mac_rx_inst (
    .clk(clk),
    .rst(dev_rst),
    .gmii_rxd(gmii_rxd),
    .gmii_rx_dv(gmii_rx_dv),
    .gmii_rx_er(gmii_rx_er),
    .enable(rx_en),
    .mac_addr(mac_addr),
    .m_data(mac_rx_data),
    .m_valid(mac_rx_valid),
    .m_eof(mac_rx_eof),
    .m_eof_good(mac_rx_eof_good),
    .stat_rx_fcs_err(stat_rx_fcs_err),
    .stat_rx_runt(stat_rx_runt),
    .stat_rx_filtered(stat_rx_filtered)
);

nic_rx_fifo #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_W(RX_FIFO_ADDR_W)
) rx_fifo_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_data(mac_rx_data),
    .s_valid(mac_rx_valid),
    .s_eof(mac_rx_eof),
    .s_eof_good(mac_rx_eof_good),
    .m_data(rxf_data),
    .m_valid(rxf_valid),
    .m_ready(rxf_ready),
    .m_len(rxf_len),
    .m_len_valid(rxf_len_valid),
    .m_len_ready(rxf_len_ready),
    .drop_overflow(rx_fifo_overflow)
);

nic_dma_rx #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .MAX_BURST_BEATS(RX_MAX_BURST)
) dma_rx_inst (
    .clk(clk),
    .rst(dev_rst),
    .enable(rx_en),
    .ring_base(rx_ring_base),
    .ring_len(rx_ring_len),
    .ring_tail(rx_ring_tail),
    .ring_reset(rx_ring_reset),
    .buf_size(rx_buf_size),
    .ring_head(rx_ring_head),
    .busy(rx_busy),
    .m_axi_araddr(rx_araddr),
    .m_axi_arlen(rx_arlen),
    .m_axi_arvalid(rx_arvalid),
    .m_axi_arready(rx_arready),
    .m_axi_rdata(rx_rdata),
    .m_axi_rlast(rx_rlast),
    .m_axi_rvalid(rx_rvalid),
    .m_axi_rready(rx_rready),
    .m_axi_awaddr(rx_awaddr),
    .m_axi_awlen(rx_awlen),
    .m_axi_awvalid(rx_awvalid),
    .m_axi_awready(rx_awready),
    .m_axi_wdata(rx_wdata),
    .m_axi_wstrb(rx_wstrb),
    .m_axi_wlast(rx_wlast),
    .m_axi_wvalid(rx_wvalid),
    .m_axi_wready(rx_wready),
    .m_axi_bvalid(rx_bvalid),
    .m_axi_bready(rx_bready),
    .fifo_data(rxf_data),
    .fifo_valid(rxf_valid),
    .fifo_ready(rxf_ready),
    .fifo_len(rxf_len),
    .fifo_len_valid(rxf_len_valid),
    .fifo_len_ready(rxf_len_ready),
    .rx_done(rx_done),
    .rx_miss(rx_miss),
    .stat_toolong(stat_rx_toolong),
    .stat_frame(stat_rx_frame),
    .stat_len(stat_rx_frame_len)
);

endmodule

`resetall
