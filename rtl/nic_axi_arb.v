/*
 * Shares one AXI4 master port between the TX engine (port 0) and the RX
 * engine (port 1). Read and write channels are arbitrated independently.
 * A grant is registered (so a master's pending address never changes under
 * it) and held until the transaction ends: the last R beat for reads, the B
 * response for writes. Each engine has at most one transaction per channel
 * in flight, so nothing is reordered and AXI IDs are not needed. On a tie
 * the engine that did not win last time goes first (round robin).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_axi_arb #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_WIDTH = 32
) (
    input  wire                    clk,
    input  wire                    rst,

    // port 0
    input  wire [ADDR_WIDTH-1:0]   s0_axi_araddr,
    input  wire [7:0]              s0_axi_arlen,
    input  wire                    s0_axi_arvalid,
    output wire                    s0_axi_arready,
    output wire [DATA_WIDTH-1:0]   s0_axi_rdata,
    output wire [1:0]              s0_axi_rresp,
    output wire                    s0_axi_rlast,
    output wire                    s0_axi_rvalid,
    input  wire                    s0_axi_rready,
    input  wire [ADDR_WIDTH-1:0]   s0_axi_awaddr,
    input  wire [7:0]              s0_axi_awlen,
    input  wire                    s0_axi_awvalid,
    output wire                    s0_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s0_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s0_axi_wstrb,
    input  wire                    s0_axi_wlast,
    input  wire                    s0_axi_wvalid,
    output wire                    s0_axi_wready,
    output wire [1:0]              s0_axi_bresp,
    output wire                    s0_axi_bvalid,
    input  wire                    s0_axi_bready,

    // port 1
    input  wire [ADDR_WIDTH-1:0]   s1_axi_araddr,
    input  wire [7:0]              s1_axi_arlen,
    input  wire                    s1_axi_arvalid,
    output wire                    s1_axi_arready,
    output wire [DATA_WIDTH-1:0]   s1_axi_rdata,
    output wire [1:0]              s1_axi_rresp,
    output wire                    s1_axi_rlast,
    output wire                    s1_axi_rvalid,
    input  wire                    s1_axi_rready,
    input  wire [ADDR_WIDTH-1:0]   s1_axi_awaddr,
    input  wire [7:0]              s1_axi_awlen,
    input  wire                    s1_axi_awvalid,
    output wire                    s1_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s1_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s1_axi_wstrb,
    input  wire                    s1_axi_wlast,
    input  wire                    s1_axi_wvalid,
    output wire                    s1_axi_wready,
    output wire [1:0]              s1_axi_bresp,
    output wire                    s1_axi_bvalid,
    input  wire                    s1_axi_bready,

    // shared master
    output wire [ADDR_WIDTH-1:0]   m_axi_araddr,
    output wire [7:0]              m_axi_arlen,
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,
    output wire                    m_axi_rready,
    output wire [ADDR_WIDTH-1:0]   m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire                    m_axi_awvalid,
    input  wire                    m_axi_awready,
    output wire [DATA_WIDTH-1:0]   m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                    m_axi_wlast,
    output wire                    m_axi_wvalid,
    input  wire                    m_axi_wready,
    input  wire [1:0]              m_axi_bresp,
    input  wire                    m_axi_bvalid,
    output wire                    m_axi_bready
);

// read channel: idle -> granted (address phase, then data until rlast) -> idle
reg rd_busy_reg;
reg rd_sel_reg;
reg rd_last_reg;   // the port granted last time

// write channel: idle -> granted (address and data, then response) -> idle
reg wr_busy_reg;
reg wr_sel_reg;
reg wr_last_reg;

wire rd_pick = (s0_axi_arvalid && s1_axi_arvalid) ? !rd_last_reg : s1_axi_arvalid;
wire wr_pick = (s0_axi_awvalid && s1_axi_awvalid) ? !wr_last_reg : s1_axi_awvalid;

reg ar_done_reg;   // the granted master's AR has been accepted
reg aw_done_reg;

wire ar_ok = rd_busy_reg && !ar_done_reg;
wire aw_ok = wr_busy_reg && !aw_done_reg;

assign m_axi_araddr = rd_sel_reg ? s1_axi_araddr : s0_axi_araddr;
assign m_axi_arlen = rd_sel_reg ? s1_axi_arlen : s0_axi_arlen;
assign m_axi_arvalid = ar_ok && (rd_sel_reg ? s1_axi_arvalid : s0_axi_arvalid);
assign s0_axi_arready = ar_ok && !rd_sel_reg && m_axi_arready;
assign s1_axi_arready = ar_ok && rd_sel_reg && m_axi_arready;

assign s0_axi_rdata = m_axi_rdata;
assign s1_axi_rdata = m_axi_rdata;
assign s0_axi_rresp = m_axi_rresp;
assign s1_axi_rresp = m_axi_rresp;
assign s0_axi_bresp = m_axi_bresp;
assign s1_axi_bresp = m_axi_bresp;
assign s0_axi_rlast = m_axi_rlast;
assign s1_axi_rlast = m_axi_rlast;
assign s0_axi_rvalid = rd_busy_reg && !rd_sel_reg && m_axi_rvalid;
assign s1_axi_rvalid = rd_busy_reg && rd_sel_reg && m_axi_rvalid;
assign m_axi_rready = rd_busy_reg && (rd_sel_reg ? s1_axi_rready : s0_axi_rready);

assign m_axi_awaddr = wr_sel_reg ? s1_axi_awaddr : s0_axi_awaddr;
assign m_axi_awlen = wr_sel_reg ? s1_axi_awlen : s0_axi_awlen;
assign m_axi_awvalid = aw_ok && (wr_sel_reg ? s1_axi_awvalid : s0_axi_awvalid);
assign s0_axi_awready = aw_ok && !wr_sel_reg && m_axi_awready;
assign s1_axi_awready = aw_ok && wr_sel_reg && m_axi_awready;

assign m_axi_wdata = wr_sel_reg ? s1_axi_wdata : s0_axi_wdata;
assign m_axi_wstrb = wr_sel_reg ? s1_axi_wstrb : s0_axi_wstrb;
assign m_axi_wlast = wr_sel_reg ? s1_axi_wlast : s0_axi_wlast;
assign m_axi_wvalid = wr_busy_reg && (wr_sel_reg ? s1_axi_wvalid : s0_axi_wvalid);
assign s0_axi_wready = wr_busy_reg && !wr_sel_reg && m_axi_wready;
assign s1_axi_wready = wr_busy_reg && wr_sel_reg && m_axi_wready;

assign s0_axi_bvalid = wr_busy_reg && !wr_sel_reg && m_axi_bvalid;
assign s1_axi_bvalid = wr_busy_reg && wr_sel_reg && m_axi_bvalid;
assign m_axi_bready = wr_busy_reg && (wr_sel_reg ? s1_axi_bready : s0_axi_bready);

always @(posedge clk) begin
    if (!rd_busy_reg) begin
        if (s0_axi_arvalid || s1_axi_arvalid) begin
            rd_busy_reg <= 1'b1;
            rd_sel_reg <= rd_pick;
            rd_last_reg <= rd_pick;
            ar_done_reg <= 1'b0;
        end
    end else begin
        if (m_axi_arvalid && m_axi_arready) begin
            ar_done_reg <= 1'b1;
        end
        if (m_axi_rvalid && m_axi_rready && m_axi_rlast) begin
            rd_busy_reg <= 1'b0;
        end
    end

    if (!wr_busy_reg) begin
        if (s0_axi_awvalid || s1_axi_awvalid) begin
            wr_busy_reg <= 1'b1;
            wr_sel_reg <= wr_pick;
            wr_last_reg <= wr_pick;
            aw_done_reg <= 1'b0;
        end
    end else begin
        if (m_axi_awvalid && m_axi_awready) begin
            aw_done_reg <= 1'b1;
        end
        if (m_axi_bvalid && m_axi_bready) begin
            wr_busy_reg <= 1'b0;
        end
    end

    if (rst) begin
        rd_busy_reg <= 1'b0;
        rd_sel_reg <= 1'b0;
        rd_last_reg <= 1'b1;
        ar_done_reg <= 1'b0;
        wr_busy_reg <= 1'b0;
        wr_sel_reg <= 1'b0;
        wr_last_reg <= 1'b1;
        aw_done_reg <= 1'b0;
    end
end

endmodule

`resetall
