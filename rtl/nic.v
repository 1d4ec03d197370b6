/*
 * The simulated NIC: an AXI4-Lite register slave, one AXI4 DMA master and a
 * GMII port, all on one clock (clk, 125 MHz: one GMII byte per cycle, so
 * 1 Gb/s line rate; the AXI buses run on the same clock).
 *
 *   host --AXI4-Lite--> nic_regs (registers, interrupts, statistics)
 *   host <--AXI4------- nic_axi_arb <-- nic_dma_tx (descriptor + buffer reads)
 *                                   <-- nic_dma_rx (descriptor reads, buffer writes)
 *   nic_dma_tx -> nic_tx_fifo -> nic_tx_csum -> nic_mac_tx -> gmii_tx*
 *   gmii_rx*   -> nic_mac_rx -> nic_rx_fifo -> nic_dma_rx
 *                           \-> nic_rx_csum (status into the RX FIFO's length queue)
 *   nic_regs -> nic_mdio -> mdc, mdio_o/mdio_oe/mdio_i (clause 22 master)
 *
 * CTRL.LOOPBACK turns the transmitter's GMII output back into the receiver
 * inside the NIC (gmii_tx* idle, gmii_rx* ignored). CTRL.SPEED paces both
 * MACs: each GMII byte lasts 1, 10 or 100 clocks (1000/100/10 Mb/s);
 * mac_speed tells the PHY side which, as the speed pins of a real MAC do.
 * phy_link_up is the PHY's link indication (STATUS.LINK_UP, cause LINK) and
 * the transmitter's carrier: a frame due to start without it is discarded
 * and counted (STAT_TX_NO_CARRIER); in loopback the link does not matter.
 * STATUS.TX_PENDING gathers what the transmit path still holds past the DMA.
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
    parameter TX_FIFO_BYTES = 16384,     // store-and-forward TX buffer (a 9018-byte jumbo fits)
    parameter RX_FIFO_BYTES = 16384,     // frames wait here for their FCS verdict
    parameter TX_CSUM_BUF_ADDR_W = 14    // checksum-offload frame buffer: 16 KiB
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
    output wire [1:0]              mac_speed,    // CTRL.SPEED: 0 = 1000, 1 = 100, 2/3 = 10 Mb/s

    // MDIO (split tristate: the line is mdio_oe ? mdio_o : pulled-up mdio_i)
    output wire                    mdc,
    output wire                    mdio_o,
    output wire                    mdio_oe,
    input  wire                    mdio_i,
    input  wire                    phy_link_up,

    output wire                    irq
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: the top uses only the speed encodings
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam BYTES = DATA_WIDTH / 8;
localparam LANE_W = $clog2(BYTES);
localparam TX_FIFO_ADDR_W = $clog2(TX_FIFO_BYTES / BYTES);
localparam RX_FIFO_ADDR_W = $clog2(RX_FIFO_BYTES / BYTES);
localparam RX_LEN_ADDR_W = 5;   // RX length queue: 32 frames (+ its output register)
// a TX read burst waits until it fits the FIFO's free space: at most half the
// FIFO, so it always fits once the MAC has drained what is ahead of it
localparam TX_MAX_BURST = ((TX_FIFO_BYTES / BYTES) / 2 < 256) ? (TX_FIFO_BYTES / BYTES) / 2 : 256;
localparam RX_MAX_BURST = 256;

// AXI-Lite protection bits and AXI IDs carry nothing this device uses: one
// transaction per channel at a time, so IDs are always 0.
/* verilator lint_off UNUSEDSIGNAL */
wire unused = &{1'b0, s_axil_awprot, s_axil_arprot, m_axi_bid, m_axi_rid};
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
wire tx_busy, rx_busy, tx_pending;
wire tx_done, rx_done, rx_miss;
wire stat_tx_frame, stat_tx_no_carrier;
wire [15:0] stat_tx_frame_len;
wire stat_rx_frame;
wire [15:0] stat_rx_frame_len;
wire stat_rx_fcs_err, stat_rx_filtered, stat_rx_runt, stat_rx_toolong, stat_rx_framing;
wire rx_fifo_overflow;
wire stat_rx_disabled;
// a missed frame comes from one of three places; two may report in one cycle
wire [1:0] stat_rx_missed = {1'b0, rx_miss} + {1'b0, rx_fifo_overflow} + {1'b0, stat_rx_disabled};
wire loopback;
wire [1:0] speed;
wire rx_bam, rx_promisc, rx_allmulti;
wire [15:0] max_frame_len;
wire [63:0] mc_hash;
wire mdio_start, mdio_busy, mdio_done;
wire [1:0] mdio_op;
wire [4:0] mdio_phy, mdio_reg;
wire [15:0] mdio_wdata, mdio_rdata;
wire [7:0] mdio_div;
wire tx_dma_err, rx_dma_err, tx_dma_err_write, rx_dma_err_write, tx_stopped, rx_stopped;
wire [63:0] tx_dma_err_addr, rx_dma_err_addr;
wire [1:0] tx_dma_err_resp, rx_dma_err_resp, tx_dma_err_cause, rx_dma_err_cause;
wire stat_tx_bcast, stat_tx_mcast, stat_rx_bcast, stat_rx_mcast, stat_rx_oversize;

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
    .loopback(loopback),
    .speed(speed),
    .rx_bam(rx_bam),
    .rx_promisc(rx_promisc),
    .rx_allmulti(rx_allmulti),
    .max_frame_len(max_frame_len),
    .mc_hash(mc_hash),
    .mdio_start(mdio_start),
    .mdio_op(mdio_op),
    .mdio_phy(mdio_phy),
    .mdio_reg(mdio_reg),
    .mdio_wdata(mdio_wdata),
    .mdio_div(mdio_div),
    .mdio_busy(mdio_busy),
    .mdio_rdata(mdio_rdata),
    .mdio_done(mdio_done),
    .link_up(phy_link_up),
    .tx_dma_err(tx_dma_err),
    .tx_dma_err_addr(tx_dma_err_addr),
    .tx_dma_err_write(tx_dma_err_write),
    .tx_dma_err_resp(tx_dma_err_resp),
    .tx_dma_err_cause(tx_dma_err_cause),
    .tx_stopped(tx_stopped),
    .rx_dma_err(rx_dma_err),
    .rx_dma_err_addr(rx_dma_err_addr),
    .rx_dma_err_write(rx_dma_err_write),
    .rx_dma_err_resp(rx_dma_err_resp),
    .rx_dma_err_cause(rx_dma_err_cause),
    .rx_stopped(rx_stopped),
    .tx_ring_base(tx_ring_base),
    .tx_ring_len(tx_ring_len),
    .tx_ring_tail(tx_ring_tail),
    .tx_ring_reset(tx_ring_reset),
    .tx_ring_head(tx_ring_head),
    .tx_busy(tx_busy),
    .tx_pending(tx_pending),
    .rx_ring_base(rx_ring_base),
    .rx_ring_len(rx_ring_len),
    .rx_ring_tail(rx_ring_tail),
    .rx_ring_reset(rx_ring_reset),
    .rx_ring_head(rx_ring_head),
    .rx_busy(rx_busy),
    .int_rx_done(rx_done),
    .int_tx_done(tx_done),
    .int_rx_miss(stat_rx_missed != 0),
    .stat_tx_frame(stat_tx_frame),
    .stat_tx_frame_len(stat_tx_frame_len),
    .stat_tx_no_carrier(stat_tx_no_carrier),
    .stat_rx_frame(stat_rx_frame),
    .stat_rx_frame_len(stat_rx_frame_len),
    .stat_rx_fcs_err(stat_rx_fcs_err),
    .stat_rx_missed(stat_rx_missed),
    .stat_rx_filtered(stat_rx_filtered),
    .stat_rx_toolong(stat_rx_toolong || stat_rx_oversize),
    .stat_rx_runt(stat_rx_runt),
    .stat_rx_framing(stat_rx_framing),
    .stat_tx_bcast(stat_tx_bcast),
    .stat_tx_mcast(stat_tx_mcast),
    .stat_rx_bcast(stat_rx_bcast),
    .stat_rx_mcast(stat_rx_mcast),
    .stat_rx_fifo_ovf(rx_fifo_overflow),
    .irq(irq)
);

nic_mdio mdio_inst (
    .clk(clk),
    .rst(dev_rst),
    .start(mdio_start),
    .op(mdio_op),
    .phy_addr(mdio_phy),
    .reg_addr(mdio_reg),
    .wdata(mdio_wdata),
    .div(mdio_div),
    .busy(mdio_busy),
    .rdata(mdio_rdata),
    .done(mdio_done),
    .mdc(mdc),
    .mdio_o(mdio_o),
    .mdio_oe(mdio_oe),
    .mdio_i(mdio_i)
);

// ------------------------------------------------------------ speed, loopback

// clocks per GMII byte: 1000 Mb/s = 1, 100 Mb/s = 10, 10 Mb/s = 100
wire [6:0] byte_div = (speed == NIC_SPEED_1000) ? 7'd1 : (speed == NIC_SPEED_100) ? 7'd10 : 7'd100;
reg [6:0] tx_pace_reg;
wire tx_ce = (tx_pace_reg == 0);

always @(posedge clk) begin
    tx_pace_reg <= (tx_pace_reg + 7'd1 >= byte_div) ? 7'd0 : tx_pace_reg + 7'd1;
    if (dev_rst) begin
        tx_pace_reg <= 7'd0;
    end
end

assign mac_speed = speed;

wire [7:0] mac_txd;
wire mac_tx_en, mac_tx_er;
assign gmii_txd = loopback ? 8'd0 : mac_txd;
assign gmii_tx_en = loopback ? 1'b0 : mac_tx_en;
assign gmii_tx_er = loopback ? 1'b0 : mac_tx_er;
wire [7:0] mac_rxd = loopback ? mac_txd : gmii_rxd;
wire mac_rx_dv = loopback ? mac_tx_en : gmii_rx_dv;
wire mac_rx_er = loopback ? mac_tx_er : gmii_rx_er;
// the looped-back MAC needs no PHY link to send
wire tx_carrier = phy_link_up || loopback;

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
wire [1:0] tx_rresp, rx_rresp, tx_bresp, rx_bresp;

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
    .s0_axi_rresp(tx_rresp),
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
    .s0_axi_bresp(tx_bresp),
    .s0_axi_bvalid(tx_bvalid),
    .s0_axi_bready(tx_bready),
    .s1_axi_araddr(rx_araddr),
    .s1_axi_arlen(rx_arlen),
    .s1_axi_arvalid(rx_arvalid),
    .s1_axi_arready(rx_arready),
    .s1_axi_rdata(rx_rdata),
    .s1_axi_rresp(rx_rresp),
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
    .s1_axi_bresp(rx_bresp),
    .s1_axi_bvalid(rx_bvalid),
    .s1_axi_bready(rx_bready),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
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
    .m_axi_bresp(m_axi_bresp),
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
wire txf_last, txf_valid, txf_abort, txf_wait;
wire [1:0] txf_csum;
wire [7:0] csum_tx_tdata;
wire [2:0] csum_tx_tuser;
wire csum_tx_tvalid, csum_tx_tready, csum_tx_tlast, csum_tx_start_ok;
wire mac_tx_tuser;
wire [TX_FIFO_ADDR_W:0] txf_free;
wire [7:0] mac_tx_tdata;
wire mac_tx_tvalid, mac_tx_tready, mac_tx_tlast, mac_tx_start_ok;
wire txf_pending, csum_tx_pending, mac_tx_busy;
assign tx_pending = txf_pending || csum_tx_pending || mac_tx_busy;

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
    .m_axi_rresp(tx_rresp),
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
    .m_axi_bresp(tx_bresp),
    .m_axi_bvalid(tx_bvalid),
    .m_axi_bready(tx_bready),
    .fifo_data(txf_data),
    .fifo_lo(txf_lo),
    .fifo_hi(txf_hi),
    .fifo_last(txf_last),
    .fifo_csum(txf_csum),
    .fifo_abort(txf_abort),
    .fifo_valid(txf_valid),
    .fifo_wait(txf_wait),
    .fifo_free(txf_free),
    .tx_done(tx_done),
    .dma_err(tx_dma_err),
    .dma_err_addr(tx_dma_err_addr),
    .dma_err_write(tx_dma_err_write),
    .dma_err_resp(tx_dma_err_resp),
    .dma_err_cause(tx_dma_err_cause),
    .stopped(tx_stopped)
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
    .s_user({txf_abort, txf_csum}),
    .s_valid(txf_valid),
    .s_stall(txf_wait),
    .s_free(txf_free),
    .m_axis_tdata(csum_tx_tdata),
    .m_axis_tvalid(csum_tx_tvalid),
    .m_axis_tready(csum_tx_tready),
    .m_axis_tlast(csum_tx_tlast),
    .m_axis_tuser(csum_tx_tuser),
    .start_ok(csum_tx_start_ok),
    .pending(txf_pending)
);

nic_tx_csum #(
    .BUF_ADDR_W(TX_CSUM_BUF_ADDR_W)
) tx_csum_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_axis_tdata(csum_tx_tdata),
    .s_axis_tvalid(csum_tx_tvalid),
    .s_axis_tready(csum_tx_tready),
    .s_axis_tlast(csum_tx_tlast),
    .s_axis_tuser(csum_tx_tuser),
    .s_start_ok(csum_tx_start_ok),
    .m_axis_tdata(mac_tx_tdata),
    .m_axis_tvalid(mac_tx_tvalid),
    .m_axis_tready(mac_tx_tready),
    .m_axis_tlast(mac_tx_tlast),
    .m_axis_tuser(mac_tx_tuser),
    .m_start_ok(mac_tx_start_ok),
    .pending(csum_tx_pending)
);

nic_mac_tx mac_tx_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_axis_tdata(mac_tx_tdata),
    .s_axis_tvalid(mac_tx_tvalid),
    .s_axis_tready(mac_tx_tready),
    .s_axis_tlast(mac_tx_tlast),
    .s_axis_tuser(mac_tx_tuser),
    .start_ok(mac_tx_start_ok),
    .ce(tx_ce),
    .carrier(tx_carrier),
    .gmii_txd(mac_txd),
    .gmii_tx_en(mac_tx_en),
    .gmii_tx_er(mac_tx_er),
    .busy(mac_tx_busy),
    .stat_tx_frame(stat_tx_frame),
    .stat_tx_len(stat_tx_frame_len),
    .stat_tx_bcast(stat_tx_bcast),
    .stat_tx_mcast(stat_tx_mcast),
    .stat_tx_no_carrier(stat_tx_no_carrier)
);

// ---------------------------------------------------------------- receive

wire [7:0] mac_rx_data;
wire mac_rx_valid, mac_rx_eof, mac_rx_eof_good, mac_rx_eof_bcast, mac_rx_eof_mcast;
wire [5:0] rx_csum_status;
wire [7:0] rxf_meta;
wire [DATA_WIDTH-1:0] rxf_data;
wire rxf_valid, rxf_ready;
wire [15:0] rxf_len;
wire rxf_len_valid, rxf_len_ready;
wire [RX_LEN_ADDR_W:0] rxf_frames;

nic_mac_rx mac_rx_inst (
    .clk(clk),
    .rst(dev_rst),
    .gmii_rxd(mac_rxd),
    .gmii_rx_dv(mac_rx_dv),
    .gmii_rx_er(mac_rx_er),
    .enable(rx_en),
    .mac_addr(mac_addr),
    .bam(rx_bam),
    .promisc(rx_promisc),
    .allmulti(rx_allmulti),
    .mc_hash(mc_hash),
    .max_len(max_frame_len),
    .div(byte_div),
    .m_data(mac_rx_data),
    .m_valid(mac_rx_valid),
    .m_eof(mac_rx_eof),
    .m_eof_good(mac_rx_eof_good),
    .m_eof_bcast(mac_rx_eof_bcast),
    .m_eof_mcast(mac_rx_eof_mcast),
    .stat_rx_fcs_err(stat_rx_fcs_err),
    .stat_rx_runt(stat_rx_runt),
    .stat_rx_framing(stat_rx_framing),
    .stat_rx_filtered(stat_rx_filtered),
    .stat_rx_oversize(stat_rx_oversize),
    .stat_rx_disabled(stat_rx_disabled)
);

nic_rx_csum rx_csum_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_data(mac_rx_data),
    .s_valid(mac_rx_valid),
    .s_eof(mac_rx_eof),
    .status(rx_csum_status)
);

nic_rx_fifo #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_W(RX_FIFO_ADDR_W),
    .LEN_ADDR_W(RX_LEN_ADDR_W)
) rx_fifo_inst (
    .clk(clk),
    .rst(dev_rst),
    .s_data(mac_rx_data),
    .s_valid(mac_rx_valid),
    .s_eof(mac_rx_eof),
    .s_eof_good(mac_rx_eof_good),
    .s_meta({rx_csum_status, mac_rx_eof_mcast, mac_rx_eof_bcast}),
    .m_data(rxf_data),
    .m_valid(rxf_valid),
    .m_ready(rxf_ready),
    .m_len(rxf_len),
    .m_meta(rxf_meta),
    .m_len_valid(rxf_len_valid),
    .m_len_ready(rxf_len_ready),
    .m_frames(rxf_frames),
    .drop_overflow(rx_fifo_overflow)
);

nic_dma_rx #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .MAX_BURST_BEATS(RX_MAX_BURST),
    .FRAMES_W(RX_LEN_ADDR_W + 1)
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
    .m_axi_rresp(rx_rresp),
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
    .m_axi_bresp(rx_bresp),
    .m_axi_bvalid(rx_bvalid),
    .m_axi_bready(rx_bready),
    .fifo_data(rxf_data),
    .fifo_valid(rxf_valid),
    .fifo_ready(rxf_ready),
    .fifo_len(rxf_len),
    .fifo_meta(rxf_meta),
    .fifo_len_valid(rxf_len_valid),
    .fifo_len_ready(rxf_len_ready),
    .fifo_frames(rxf_frames),
    .rx_done(rx_done),
    .rx_miss(rx_miss),
    .stat_toolong(stat_rx_toolong),
    .stat_frame(stat_rx_frame),
    .stat_len(stat_rx_frame_len),
    .stat_bcast(stat_rx_bcast),
    .stat_mcast(stat_rx_mcast),
    .dma_err(rx_dma_err),
    .dma_err_addr(rx_dma_err_addr),
    .dma_err_write(rx_dma_err_write),
    .dma_err_resp(rx_dma_err_resp),
    .dma_err_cause(rx_dma_err_cause),
    .stopped(rx_stopped)
);

endmodule

`resetall
