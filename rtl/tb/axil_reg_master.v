/*
 * Testbench only (not synthesized): an AXI4-Lite master in HDL that a test
 * drives with one toggle per register access, so an access costs the test
 * one Python wake-up (ack toggling) instead of one per clock of the AXI-Lite
 * handshake, as a bus model in Python does.
 *
 * Protocol, for the test: set we, addr and wdata, then toggle req. The
 * master latches them on the next rising clock edge, performs one 32-bit
 * write (AW and W together, all strobes) or read, and toggles ack once the
 * response has arrived, with rdata (reads) and resp (the BRESP or RRESP)
 * valid from then until the next access. One access at a time; the
 * master is idle exactly when ack equals req (reset sets ack to req), so a
 * test that finds them different knows an access is still in flight.
 *
 * While it is idle the s_axil_* port passes straight through to m_axil_*,
 * so a bus model (cocotbext-axi's AxiLiteMaster) can drive the same slave.
 * Inputs nobody drives (z under Icarus) read as 0, so neither side starts
 * an access or a handshake by accident.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module axil_reg_master #(
    parameter ADDR_WIDTH = 12
) (
    input  wire                  clk,
    input  wire                  rst,

    // the test's side: one access per toggle of req
    input  wire                  req,
    input  wire                  we,
    input  wire [ADDR_WIDTH-1:0] addr,
    input  wire [31:0]           wdata,
    output reg                   ack,
    output reg  [31:0]           rdata,
    output reg  [1:0]            resp,

    // a bus model's port, passed through while idle
    input  wire [ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire [2:0]            s_axil_awprot,
    input  wire                  s_axil_awvalid,
    output wire                  s_axil_awready,
    input  wire [31:0]           s_axil_wdata,
    input  wire [3:0]            s_axil_wstrb,
    input  wire                  s_axil_wvalid,
    output wire                  s_axil_wready,
    output wire [1:0]            s_axil_bresp,
    output wire                  s_axil_bvalid,
    input  wire                  s_axil_bready,
    input  wire [ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire [2:0]            s_axil_arprot,
    input  wire                  s_axil_arvalid,
    output wire                  s_axil_arready,
    output wire [31:0]           s_axil_rdata,
    output wire [1:0]            s_axil_rresp,
    output wire                  s_axil_rvalid,
    input  wire                  s_axil_rready,

    // to the slave
    output wire [ADDR_WIDTH-1:0] m_axil_awaddr,
    output wire [2:0]            m_axil_awprot,
    output wire                  m_axil_awvalid,
    input  wire                  m_axil_awready,
    output wire [31:0]           m_axil_wdata,
    output wire [3:0]            m_axil_wstrb,
    output wire                  m_axil_wvalid,
    input  wire                  m_axil_wready,
    input  wire [1:0]            m_axil_bresp,
    input  wire                  m_axil_bvalid,
    output wire                  m_axil_bready,
    output wire [ADDR_WIDTH-1:0] m_axil_araddr,
    output wire [2:0]            m_axil_arprot,
    output wire                  m_axil_arvalid,
    input  wire                  m_axil_arready,
    input  wire [31:0]           m_axil_rdata,
    input  wire [1:0]            m_axil_rresp,
    input  wire                  m_axil_rvalid,
    output wire                  m_axil_rready
);

localparam [1:0]
    STATE_IDLE = 2'd0,
    STATE_WRITE = 2'd1,
    STATE_READ = 2'd2;

// set by rst (the testbench holds it at start); addr/wdata only matter once latched
reg [1:0] state_reg;
reg req_seen_reg;
reg [ADDR_WIDTH-1:0] addr_reg;
reg [31:0] wdata_reg;
reg awvalid_reg, wvalid_reg, arvalid_reg;

// undriven (z) control inputs count as 0
wire req_in = (req === 1'b1);
wire we_in = (we === 1'b1);
wire ext_awvalid = (s_axil_awvalid === 1'b1);
wire ext_wvalid = (s_axil_wvalid === 1'b1);
wire ext_bready = (s_axil_bready === 1'b1);
wire ext_arvalid = (s_axil_arvalid === 1'b1);
wire ext_rready = (s_axil_rready === 1'b1);

wire idle = state_reg == STATE_IDLE;
wire own_write = state_reg == STATE_WRITE;
wire own_read = state_reg == STATE_READ;

assign m_axil_awaddr = own_write ? addr_reg : s_axil_awaddr;
assign m_axil_awprot = own_write ? 3'd0 : s_axil_awprot;
assign m_axil_awvalid = own_write ? awvalid_reg : (idle && ext_awvalid);
assign m_axil_wdata = own_write ? wdata_reg : s_axil_wdata;
assign m_axil_wstrb = own_write ? 4'hf : s_axil_wstrb;
assign m_axil_wvalid = own_write ? wvalid_reg : (idle && ext_wvalid);
assign m_axil_bready = own_write ? 1'b1 : (idle && ext_bready);
assign m_axil_araddr = own_read ? addr_reg : s_axil_araddr;
assign m_axil_arprot = own_read ? 3'd0 : s_axil_arprot;
assign m_axil_arvalid = own_read ? arvalid_reg : (idle && ext_arvalid);
assign m_axil_rready = own_read ? 1'b1 : (idle && ext_rready);

assign s_axil_awready = idle && m_axil_awready;
assign s_axil_wready = idle && m_axil_wready;
assign s_axil_bresp = m_axil_bresp;
assign s_axil_bvalid = idle && m_axil_bvalid;
assign s_axil_arready = idle && m_axil_arready;
assign s_axil_rdata = m_axil_rdata;
assign s_axil_rresp = m_axil_rresp;
assign s_axil_rvalid = idle && m_axil_rvalid;

always @(posedge clk) begin
    if (rst) begin
        state_reg <= STATE_IDLE;
        req_seen_reg <= req_in;  // a toggle made before reset ended starts nothing
        awvalid_reg <= 1'b0;
        wvalid_reg <= 1'b0;
        arvalid_reg <= 1'b0;
        ack <= req_in;  // idle is ack == req, across resets too
        rdata <= 32'd0;
        resp <= 2'd0;
    end else begin
        case (state_reg)
            STATE_IDLE: begin
                // a bus model's handshake in flight is left to finish: start
                // only when it has nothing outstanding on the slave
                if (req_in != req_seen_reg && !ext_awvalid && !ext_wvalid && !ext_arvalid
                        && !m_axil_bvalid && !m_axil_rvalid) begin
                    req_seen_reg <= req_in;
                    addr_reg <= addr;
                    wdata_reg <= wdata;
                    if (we_in) begin
                        state_reg <= STATE_WRITE;
                        awvalid_reg <= 1'b1;
                        wvalid_reg <= 1'b1;
                    end else begin
                        state_reg <= STATE_READ;
                        arvalid_reg <= 1'b1;
                    end
                end
            end
            STATE_WRITE: begin
                if (m_axil_awready) awvalid_reg <= 1'b0;
                if (m_axil_wready) wvalid_reg <= 1'b0;
                if (m_axil_bvalid) begin
                    resp <= m_axil_bresp;
                    ack <= !ack;
                    state_reg <= STATE_IDLE;
                end
            end
            STATE_READ: begin
                if (m_axil_arready) arvalid_reg <= 1'b0;
                if (m_axil_rvalid) begin
                    rdata <= m_axil_rdata;
                    resp <= m_axil_rresp;
                    ack <= !ack;
                    state_reg <= STATE_IDLE;
                end
            end
            default: state_reg <= STATE_IDLE;
        endcase
    end
end

endmodule

`resetall
