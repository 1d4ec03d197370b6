/*
 * Testbench host memory (not synthesized): an AXI4 slave whose storage is a
 * C buffer (host_mem_axi.c), reached through DPI-C under Verilator and
 * through the VPI system tasks $hm_burst/$hm_read/$hm_write under Icarus.
 * Python (nicsim/host_mem.py) reads and writes the same buffer directly,
 * costing no simulated time, and sizes it; PORT is this slave's entry in the
 * C port table, which Python points at a memory (two ports may share one).
 *
 * Bursts: INCR and FIXED, any AxSIZE up to the bus width, up to 256 beats;
 * WRAP and the reserved type get SLVERR. Each beat moves the bus-aligned
 * word holding its address, so unaligned and narrow beats land on the
 * right lanes; writes honour WSTRB. The response is decided once per burst,
 * at the address handshake: DECERR if any byte is outside the memory,
 * SLVERR if a fault rule matches (nicsim.faults), OKAY otherwise; an
 * erroring burst moves no data (reads return zeros) but still runs all its
 * beats, as AXI requires. Every burst is logged in C with its response.
 *
 * Throughput: the slave never makes the master wait. A burst's first R
 * beat is valid the clock after its AR handshake and the rest follow one
 * per clock; the first W beat is taken together with its AW. AR is
 * accepted while the last R beat of the previous burst loads, AW while the
 * last W beat is taken, so back-to-back bursts stream without a gap. The R
 * and B outputs are registered; ARREADY, AWREADY and WREADY are
 * combinational from this slave's state and from RREADY, BREADY, WVALID and
 * AWVALID (AXI lets a ready wait for a valid; no valid depends on a ready).
 *
 * One transaction per channel at a time: a master with more outstanding
 * sees ARREADY/AWREADY low until this one ends. IDs are returned as given.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module host_mem_axi #(
    parameter DATA_WIDTH = 64,    // bus width, 32 to 512 bits
    parameter ADDR_WIDTH = 32,    // up to 64
    parameter ID_WIDTH = 8,       // up to 32
    parameter PORT = 0            // this slave's port in host_mem_axi.c
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [ID_WIDTH-1:0]     s_axi_awid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_awaddr,
    input  wire [7:0]              s_axi_awlen,
    input  wire [2:0]              s_axi_awsize,
    input  wire [1:0]              s_axi_awburst,
    input  wire                    s_axi_awlock,
    input  wire [3:0]              s_axi_awcache,
    input  wire [2:0]              s_axi_awprot,
    input  wire                    s_axi_awvalid,
    output wire                    s_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s_axi_wstrb,
    input  wire                    s_axi_wlast,
    input  wire                    s_axi_wvalid,
    output wire                    s_axi_wready,
    output wire [ID_WIDTH-1:0]     s_axi_bid,
    output wire [1:0]              s_axi_bresp,
    output wire                    s_axi_bvalid,
    input  wire                    s_axi_bready,
    input  wire [ID_WIDTH-1:0]     s_axi_arid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_araddr,
    input  wire [7:0]              s_axi_arlen,
    input  wire [2:0]              s_axi_arsize,
    input  wire [1:0]              s_axi_arburst,
    input  wire                    s_axi_arlock,
    input  wire [3:0]              s_axi_arcache,
    input  wire [2:0]              s_axi_arprot,
    input  wire                    s_axi_arvalid,
    output wire                    s_axi_arready,
    output wire [ID_WIDTH-1:0]     s_axi_rid,
    output wire [DATA_WIDTH-1:0]   s_axi_rdata,
    output wire [1:0]              s_axi_rresp,
    output wire                    s_axi_rlast,
    output wire                    s_axi_rvalid,
    input  wire                    s_axi_rready
);

localparam BYTES = DATA_WIDTH / 8;
localparam [63:0] WORD_MASK = ~((64'd1 << $clog2(BYTES)) - 64'd1);  // bus-word alignment
localparam [1:0] RESP_OKAY = 2'b00;
localparam [1:0] BURST_FIXED = 2'b00;

`ifdef VERILATOR
// The C side (host_mem_axi.c): the response to a burst (logged there), one
// word out of memory, one word into it. Arguments are zero-extended to these widths.
import "DPI-C" function void hm_burst(input int port, input longint addr, input int len, input int size,
                                      input int burst, input int write, input int id, input longint time_ns,
                                      input int bus_bytes, output int resp);
import "DPI-C" function void hm_read(input int port, input longint addr, input int nbytes,
                                     output bit [DATA_WIDTH-1:0] data);
import "DPI-C" function void hm_write(input int port, input longint addr, input int nbytes,
                                      input bit [DATA_WIDTH-1:0] data, input longint strb);
`endif

// Zero extension to the C argument widths (Verilog-2005 has no casts, and a
// replication such as {(64-ADDR_WIDTH){1'b0}} is illegal once it is empty).
function [63:0] ext64;
    input [ADDR_WIDTH-1:0] a;
    begin
        ext64 = 64'd0;
        ext64[ADDR_WIDTH-1:0] = a;
    end
endfunction

function [31:0] id32;
    input [ID_WIDTH-1:0] id;
    begin
        id32 = 32'd0;
        id32[ID_WIDTH-1:0] = id;
    end
endfunction

function [63:0] strb64;
    input [BYTES-1:0] strb;
    begin
        strb64 = 64'd0;
        strb64[BYTES-1:0] = strb;
    end
endfunction

// the bus word holding address a
function [63:0] word_addr;
    input [ADDR_WIDTH-1:0] a;
    begin
        word_addr = ext64(a) & WORD_MASK;
    end
endfunction

// the address of the beat after one at a (INCR): aligned to the beat size, plus one beat
function [ADDR_WIDTH-1:0] next_addr;
    input [ADDR_WIDTH-1:0] a;
    input [2:0] size;
    begin
        next_addr = ((a >> size) + {{(ADDR_WIDTH-1){1'b0}}, 1'b1}) << size;
    end
endfunction

// ---------------------------------------------------------------- reads
// A burst's first beat loads into the R register at the AR handshake itself
// (data one clock after the address, like a registered SRAM); the rest load
// one per clock while the master takes them.
reg                  rd_active_reg;   // a burst has beats still to load
reg [ADDR_WIDTH-1:0] rd_addr_reg;     // the next beat's address
reg [7:0]            rd_count_reg;    // beats after the next one
reg [2:0]            rd_size_reg;
reg                  rd_fixed_reg;
reg [1:0]            rd_resp_reg;
reg [ID_WIDTH-1:0]   rd_id_reg;

reg                  r_valid_reg;     // the R output register
reg [DATA_WIDTH-1:0] r_data_reg;
reg [1:0]            r_resp_reg;
reg                  r_last_reg;
reg [ID_WIDTH-1:0]   r_id_reg;

reg [DATA_WIDTH-1:0] rd_word;         // what the C side returned for this beat
reg [31:0]           ar_resp;         // the C side's response to the AR taken this clock

wire r_free = !r_valid_reg || s_axi_rready;          // the R register can take a beat
wire ar_new = !rd_active_reg;                        // a beat now would be a new burst's first
wire [ADDR_WIDTH-1:0] r_addr = ar_new ? s_axi_araddr : rd_addr_reg;  // this beat's address
wire [7:0] r_count = ar_new ? s_axi_arlen : rd_count_reg;           // beats after it
wire [2:0] r_size = ar_new ? s_axi_arsize : rd_size_reg;
wire r_fixed = ar_new ? s_axi_arburst == BURST_FIXED : rd_fixed_reg;
wire [ID_WIDTH-1:0] r_id = ar_new ? s_axi_arid : rd_id_reg;

assign s_axi_arready = !rst && (!rd_active_reg || (r_free && rd_count_reg == 8'd0));
wire ar_take = s_axi_arvalid && s_axi_arready;
wire r_load = r_free && (rd_active_reg || ar_take);  // a beat enters the R register

assign s_axi_rvalid = r_valid_reg;
assign s_axi_rdata = r_data_reg;
assign s_axi_rresp = r_resp_reg;
assign s_axi_rlast = r_last_reg;
assign s_axi_rid = r_id_reg;

always @(posedge clk) begin
    if (ar_take) begin
`ifdef VERILATOR
        hm_burst(PORT, ext64(s_axi_araddr), {24'd0, s_axi_arlen}, {29'd0, s_axi_arsize}, {30'd0, s_axi_arburst},
                 0, id32(s_axi_arid), $time, BYTES, ar_resp);
`else
        $hm_burst(PORT, ext64(s_axi_araddr), s_axi_arlen, s_axi_arsize, s_axi_arburst, 0, s_axi_arid, $time,
                  BYTES, ar_resp);
`endif
        // a later burst, while the last beat of this one loads; overridden below when this is its first beat
        rd_active_reg <= 1'b1;
        rd_addr_reg <= s_axi_araddr;
        rd_count_reg <= s_axi_arlen;
        rd_size_reg <= s_axi_arsize;
        rd_fixed_reg <= s_axi_arburst == BURST_FIXED;
        rd_resp_reg <= ar_resp[1:0];
        rd_id_reg <= s_axi_arid;
    end

    if (s_axi_rready) begin
        r_valid_reg <= 1'b0;
    end
    if (r_load) begin
        r_valid_reg <= 1'b1;
        r_resp_reg <= ar_new ? ar_resp[1:0] : rd_resp_reg;
        r_last_reg <= r_count == 8'd0;
        r_id_reg <= r_id;
        if ((ar_new ? ar_resp[1:0] : rd_resp_reg) == RESP_OKAY) begin
`ifdef VERILATOR
            hm_read(PORT, word_addr(r_addr), BYTES, rd_word);
`else
            $hm_read(PORT, word_addr(r_addr), rd_word);
`endif
            r_data_reg <= rd_word;
        end else begin
            r_data_reg <= {DATA_WIDTH{1'b0}};
        end
        if (r_count == 8'd0) begin
            // done, unless the next burst's AR was taken this clock (it is not new then)
            if (ar_new || !ar_take) begin
                rd_active_reg <= 1'b0;
            end
        end else begin
            rd_active_reg <= 1'b1;
            rd_addr_reg <= r_fixed ? r_addr : next_addr(r_addr, r_size);
            rd_count_reg <= r_count - 8'd1;
        end
    end

    if (rst) begin
        rd_active_reg <= 1'b0;
        r_valid_reg <= 1'b0;
    end
end

// --------------------------------------------------------------- writes
// A burst's first W beat is taken with its AW handshake when both come
// together; the last waits only for room in the B register.
reg                  wr_active_reg;   // a burst has beats still to take
reg [ADDR_WIDTH-1:0] wr_addr_reg;     // the next beat's address
reg [7:0]            wr_count_reg;    // beats after the next one
reg [2:0]            wr_size_reg;
reg                  wr_fixed_reg;
reg [1:0]            wr_resp_reg;
reg [ID_WIDTH-1:0]   wr_id_reg;

reg                  b_valid_reg;     // the B output register
reg [1:0]            b_resp_reg;
reg [ID_WIDTH-1:0]   b_id_reg;

reg [31:0]           aw_resp;         // the C side's response to the AW taken this clock

wire b_free = !b_valid_reg || s_axi_bready;          // the B register can take a response
wire aw_new = !wr_active_reg;                        // a beat now would be a new burst's first
wire [ADDR_WIDTH-1:0] w_addr = aw_new ? s_axi_awaddr : wr_addr_reg;  // this beat's address
wire [7:0] w_count = aw_new ? s_axi_awlen : wr_count_reg;           // beats after it
wire [2:0] w_size = aw_new ? s_axi_awsize : wr_size_reg;
wire w_fixed = aw_new ? s_axi_awburst == BURST_FIXED : wr_fixed_reg;
wire [ID_WIDTH-1:0] w_id = aw_new ? s_axi_awid : wr_id_reg;

assign s_axi_wready = !rst && (wr_active_reg || s_axi_awvalid) && (w_count != 8'd0 || b_free);
wire w_take = s_axi_wvalid && s_axi_wready;
assign s_axi_awready = !rst && (!wr_active_reg || (w_take && wr_count_reg == 8'd0));
wire aw_take = s_axi_awvalid && s_axi_awready;

assign s_axi_bvalid = b_valid_reg;
assign s_axi_bresp = b_resp_reg;
assign s_axi_bid = b_id_reg;

always @(posedge clk) begin
    if (aw_take) begin
`ifdef VERILATOR
        hm_burst(PORT, ext64(s_axi_awaddr), {24'd0, s_axi_awlen}, {29'd0, s_axi_awsize}, {30'd0, s_axi_awburst},
                 1, id32(s_axi_awid), $time, BYTES, aw_resp);
`else
        $hm_burst(PORT, ext64(s_axi_awaddr), s_axi_awlen, s_axi_awsize, s_axi_awburst, 1, s_axi_awid, $time,
                  BYTES, aw_resp);
`endif
        // a later burst, while the last beat of this one is taken; overridden below when this is its first beat
        wr_active_reg <= 1'b1;
        wr_addr_reg <= s_axi_awaddr;
        wr_count_reg <= s_axi_awlen;
        wr_size_reg <= s_axi_awsize;
        wr_fixed_reg <= s_axi_awburst == BURST_FIXED;
        wr_resp_reg <= aw_resp[1:0];
        wr_id_reg <= s_axi_awid;
    end

    if (s_axi_bready) begin
        b_valid_reg <= 1'b0;
    end
    if (w_take) begin
        if ((aw_new ? aw_resp[1:0] : wr_resp_reg) == RESP_OKAY) begin
`ifdef VERILATOR
            hm_write(PORT, word_addr(w_addr), BYTES, s_axi_wdata, strb64(s_axi_wstrb));
`else
            $hm_write(PORT, word_addr(w_addr), s_axi_wdata, s_axi_wstrb);
`endif
        end
        if (s_axi_wlast != (w_count == 8'd0)) begin
            $display("%m: WLAST %0d on a beat with %0d to follow at %0t", s_axi_wlast, w_count, $time);
        end
        if (w_count == 8'd0) begin
            b_valid_reg <= 1'b1;
            b_resp_reg <= aw_new ? aw_resp[1:0] : wr_resp_reg;
            b_id_reg <= w_id;
            // done, unless the next burst's AW was taken this clock (it is not new then)
            if (aw_new || !aw_take) begin
                wr_active_reg <= 1'b0;
            end
        end else begin
            wr_active_reg <= 1'b1;
            wr_addr_reg <= w_fixed ? w_addr : next_addr(w_addr, w_size);
            wr_count_reg <= w_count - 8'd1;
        end
    end

    if (rst) begin
        wr_active_reg <= 1'b0;
        b_valid_reg <= 1'b0;
    end
end

// protection, cache and lock attributes do not change what memory does
wire unused_ok = &{1'b0, s_axi_awlock, s_axi_awcache, s_axi_awprot, s_axi_arlock, s_axi_arcache,
                   s_axi_arprot, ar_resp[31:2], aw_resp[31:2], 1'b0};

endmodule

`resetall
