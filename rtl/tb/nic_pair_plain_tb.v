/*
 * Testbench top (not synthesized) for `nicsim bench`'s plain builds of
 * nic_pair_tb: no cocotb, no Python, only the simulator. Both simulators run
 * it: Icarus in plain vvp, built with HDL_CLOCK (nic_pair_tb makes the
 * 125 MHz clock; this top takes dut.clk); Verilator from a C++ main
 * (nic_pair_tb_main.cpp) that toggles this top's clk input, built with
 * MAIN_CLOCK (nic_pair_tb's clk is then an input too), without --timing:
 * nothing here waits on a delay.
 *
 * The reset is held for the first 10 clocks; $finish comes +cycles=N
 * clocks later (default 100000), after which one line is printed:
 *   plain: cycles=<clocks after reset> [flood=<bytes> ...]
 *
 * Idle (no +flood): every input of nic_pair_tb is 0 (cable in, nothing
 * withheld), nothing else happens.
 *
 * +flood=BYTES (64..1518, FCS included): a full-duplex flood, A -> B and
 * B -> A at once, every frame BYTES long, back to back, through both NICs'
 * DMA, rings, MACs, PHYs and the cable. Per NIC, at time 0, a fresh host
 * memory on its DMA port (hm_port_new) holding a TX ring whose every
 * descriptor (EOP | RS) points at one frame to the peer's station address,
 * and an RX ring of 2 KiB buffers. After the reset a clocked driver per NIC
 * programs the NIC through nic_pair_tb's HDL register master (reg_*_cmd,
 * reg_*_ack, reg_*_rsp) as devnp-nic's init does: interrupts masked,
 * station address, RX buffer size, both rings; then waits for the PHY's
 * link (the MAC discards a frame due to start without it:
 * STAT_TX_NO_CARRIER), enables TX and RX at the PHY's resolved speed and
 * keeps both rings full by reading HEAD and writing TAIL = HEAD - 1, round
 * and round, as a driver with interrupts masked would poll. At +cycles it reads both NICs'
 * STAT_RX_FRAMES, STAT_RX_MISSED and STAT_TX_FRAMES, prints them
 *   plain: cycles=.. flood=.. flood_cycles=.. rx_frames_a=.. rx_frames_b=..
 *          rx_missed_a=.. rx_missed_b=.. tx_frames_a=.. tx_frames_b=..
 * (one line; flood_cycles: clocks since the later NIC was enabled) and
 * $fatal's unless each NIC received at least MIN_LINE_PERMILLE of a 1 Gb/s
 * line's frames over flood_cycles, less two frame times and FILL_CLOCKS of
 * start-up (a line carries one frame per BYTES + 20 clocks: 8 bytes of
 * preamble and SFD, 12 of inter-frame gap).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_pair_plain_tb
`ifndef HDL_CLOCK
(
    input  wire clk  // toggled by the C++ main (MAIN_CLOCK)
)
`endif
;

// the whole programming model; this driver uses a few of its names
/* verilator lint_off UNUSEDPARAM */
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

`ifdef HDL_CLOCK
wire clk = dut.clk;
`endif

localparam [63:0] RESET_CYCLES = 64'd10;
localparam [63:0] DEFAULT_CYCLES = 64'd100000;
localparam integer MIN_FRAME = 64;
localparam integer MAX_FRAME = 1518;
localparam integer FCS_BYTES = 4;
localparam [63:0] WIRE_OVERHEAD = 64'd20;  // preamble + SFD (8) and inter-frame gap (12), in byte clocks
localparam [63:0] MIN_LINE_PERMILLE = 64'd900;

// host memory layout, the same on both ports (NIC A: port 0, host_mem_a_inst; B: port 1)
localparam integer RING_LEN = 64;                         // descriptors per ring
localparam [31:0] TX_RING = 32'h0000_0000;
localparam [31:0] RX_RING = TX_RING + RING_LEN * NIC_DESC_SIZE;
localparam [31:0] TX_FRAME = 32'h0000_1000;               // every TX descriptor's buffer
localparam [31:0] RX_BUFS = 32'h0000_2000;                // RX descriptor i: RX_BUFS + i * RX_BUF_SIZE
localparam [31:0] RX_BUF_SIZE = NIC_DEFAULT_RX_BUF_SIZE;
localparam [63:0] MEM_BYTES = 64'h0004_0000;
localparam [15:0] ETHERTYPE = 16'h88b5;                   // IEEE 802 local experimental

// station addresses, byte 0 (first on the wire) in bits 7:0: 02:00:00:00:00:0a and ..:0b
localparam [47:0] MAC_A = 48'h0a00_0000_0002;
localparam [47:0] MAC_B = 48'h0b00_0000_0002;

`ifdef VERILATOR
// host_mem_axi.c: a fresh zeroed memory on a port; one 64-bit word into memory (as host_mem_axi's import)
import "DPI-C" function int hm_port_new(input int port, input longint size);
import "DPI-C" function void hm_write(input int port, input longint addr, input int nbytes,
                                      input bit [63:0] data, input longint strb);
`endif

// ------------------------------------------------------------------ run length
reg rst;
reg [63:0] limit;
reg [63:0] cycle;
reg [63:0] last_cycle;     // the +cycles-th clock after the reset
reg stop;                  // after it: the drivers read the statistics and end
integer flood_bytes;       // 0: idle
reg [63:0] frame_clocks;   // a frame's time on the wire, in clocks

// ------------------------------------------------------------ host memory fill
task put64;
    input integer port;
    input [31:0] addr;
    input [63:0] data;
    begin
`ifdef VERILATOR
        hm_write(port, {32'd0, addr}, 8, data, 64'hff);
`else
        $hm_write(port, {32'd0, addr}, data, 8'hff);
`endif
    end
endtask

// byte i of the frame NIC `side` (0: A, 1: B) sends: to the other NIC's station address
function [7:0] frame_byte;
    input integer side;
    input integer i;
    reg [47:0] dst, src;
    begin
        dst = side == 0 ? MAC_B : MAC_A;
        src = side == 0 ? MAC_A : MAC_B;
        if (i < 6)
            frame_byte = dst[8 * i +: 8];
        else if (i < 12)
            frame_byte = src[8 * (i - 6) +: 8];
        else if (i == 12)
            frame_byte = ETHERTYPE[15:8];
        else if (i == 13)
            frame_byte = ETHERTYPE[7:0];
        else
            frame_byte = i[7:0];
    end
endfunction

task fill_port;
    input integer side;
    input integer len;  // frame bytes without FCS
    integer mem, i, j;
    reg [63:0] word;
    reg [127:0] desc;
    begin
`ifdef VERILATOR
        mem = hm_port_new(side, MEM_BYTES);
`else
        $hm_port_new(side, MEM_BYTES, mem);
`endif
        if (mem < 0)
            $fatal(1, "nic_pair_plain_tb: no host memory for port %0d", side);
        for (i = 0; i < len; i = i + 8) begin
            word = 64'd0;
            for (j = 0; j < 8; j = j + 1)
                if (i + j < len)
                    word[8 * j +: 8] = frame_byte(side, i + j);
            put64(side, TX_FRAME + i, word);
        end
        for (i = 0; i < RING_LEN; i = i + 1) begin
            desc = 128'd0;
            desc[TX_DESC_ADDR_LSB +: 32] = TX_FRAME;
            desc[TX_DESC_LEN_LSB +: TX_DESC_LEN_WIDTH] = len[TX_DESC_LEN_WIDTH-1:0];
            desc[TX_DESC_CMD_EOP_BIT] = 1'b1;
            desc[TX_DESC_CMD_RS_BIT] = 1'b1;
            put64(side, TX_RING + i * NIC_DESC_SIZE, desc[63:0]);
            put64(side, TX_RING + i * NIC_DESC_SIZE + 8, desc[127:64]);
            desc = 128'd0;
            desc[RX_DESC_ADDR_LSB +: 32] = RX_BUFS + i * RX_BUF_SIZE;
            put64(side, RX_RING + i * NIC_DESC_SIZE, desc[63:0]);
            put64(side, RX_RING + i * NIC_DESC_SIZE + 8, desc[127:64]);
        end
    end
endtask

initial begin
    rst = 1'b1;
    cycle = 64'd0;
    stop = 1'b0;
    flood_bytes = 0;
    if (!$value$plusargs("cycles=%d", limit))
        limit = DEFAULT_CYCLES;
    last_cycle = limit + RESET_CYCLES - 64'd1;
    if ($value$plusargs("flood=%d", flood_bytes)) begin
        if (flood_bytes < MIN_FRAME || flood_bytes > MAX_FRAME)
            $fatal(1, "nic_pair_plain_tb: +flood=%0d: frame size must be %0d..%0d bytes (FCS included)",
                   flood_bytes, MIN_FRAME, MAX_FRAME);
        frame_clocks = {32'd0, flood_bytes} + WIRE_OVERHEAD;
        fill_port(0, flood_bytes - FCS_BYTES);
        fill_port(1, flood_bytes - FCS_BYTES);
    end
end

// -------------------------------------------------------------------- the DUT
wire [45:0] reg_a_cmd, reg_b_cmd;
wire reg_a_ack, reg_b_ack;
wire [33:0] reg_a_rsp, reg_b_rsp;
wire link_a, link_b;
wire [1:0] phy_a_speed, phy_b_speed;

/* verilator lint_off PINMISSING */
// The DMA, register and GMII buses are outputs for cocotb tests to watch;
// this top needs none of them.
nic_pair_tb dut (
`ifndef HDL_CLOCK
    .clk(clk),
`endif
    .rst(rst),
    .s_axil_a_awaddr(12'd0), .s_axil_a_awprot(3'd0), .s_axil_a_awvalid(1'b0),
    .s_axil_a_wdata(32'd0), .s_axil_a_wstrb(4'd0), .s_axil_a_wvalid(1'b0), .s_axil_a_bready(1'b0),
    .s_axil_a_araddr(12'd0), .s_axil_a_arprot(3'd0), .s_axil_a_arvalid(1'b0), .s_axil_a_rready(1'b0),
    .s_axil_b_awaddr(12'd0), .s_axil_b_awprot(3'd0), .s_axil_b_awvalid(1'b0),
    .s_axil_b_wdata(32'd0), .s_axil_b_wstrb(4'd0), .s_axil_b_wvalid(1'b0), .s_axil_b_bready(1'b0),
    .s_axil_b_araddr(12'd0), .s_axil_b_arprot(3'd0), .s_axil_b_arvalid(1'b0), .s_axil_b_rready(1'b0),
    .reg_a_cmd(reg_a_cmd), .reg_a_ack(reg_a_ack), .reg_a_rsp(reg_a_rsp),
    .reg_b_cmd(reg_b_cmd), .reg_b_ack(reg_b_ack), .reg_b_rsp(reg_b_rsp),
    .wire_ab_fault(18'd0), .wire_ba_fault(18'd0),
    .cable_pull(1'b0), .phy_a_adv_withhold(3'd0), .phy_b_adv_withhold(3'd0),
    .link_a(link_a), .link_b(link_b), .phy_a_speed(phy_a_speed), .phy_b_speed(phy_b_speed)
);
/* verilator lint_on PINMISSING */

// ------------------------------------------------------- one driver per NIC
localparam [2:0]
    PH_IDLE = 3'd0,    // no flood, or reset
    PH_SETUP = 3'd1,   // SETUP_STEPS register writes
    PH_LINK = 3'd2,    // wait for the PHY's link
    PH_ENABLE = 3'd3,  // CTRL, then the first TX_TAIL
    PH_POLL = 3'd4,    // read TX_HEAD, write TX_TAIL, read RX_HEAD, write RX_TAIL, ...
    PH_STATS = 3'd5,   // read STAT_RX_FRAMES, STAT_RX_MISSED, STAT_TX_FRAMES
    PH_DONE = 3'd6;
localparam [3:0] SETUP_STEPS = 4'd12;
localparam [1:0] RESP_OKAY = 2'b00;
localparam [31:0] INT_ALL = (32'd1 << INT_WIDTH) - 32'd1;

// the ring slot before h: TAIL = HEAD - 1 hands the NIC every descriptor but one
function [31:0] ring_prev;
    input [31:0] h;
    begin
        ring_prev = h == 32'd0 ? RING_LEN - 1 : h - 32'd1;
    end
endfunction

genvar g;
generate
for (g = 0; g < 2; g = g + 1) begin : drv
    wire ack = g == 0 ? reg_a_ack : reg_b_ack;
    wire [33:0] rsp = g == 0 ? reg_a_rsp : reg_b_rsp;  // {resp, rdata}
    wire link = g == 0 ? link_a : link_b;
    wire [1:0] speed = g == 0 ? phy_a_speed : phy_b_speed;
    wire [47:0] mac = g == 0 ? MAC_A : MAC_B;

    reg [2:0] phase;
    reg [3:0] step;
    reg [45:0] cmd;          // {req, we, addr, wdata}: req toggles per access
    reg waiting;             // an access is out; its ack has not toggled yet
    reg ack_seen;            // reg_*_ack when it was issued
    reg [31:0] rdata;        // the last read's data
    reg [63:0] enabled_at;   // the clock CTRL enabled TX and RX (0: not yet)
    reg [31:0] rx_frames, rx_missed, tx_frames;

    if (g == 0) begin : to_a
        assign reg_a_cmd = cmd;
    end else begin : to_b
        assign reg_b_cmd = cmd;
    end

    // the register writes of PH_SETUP, much as devnp-nic's attach and _rings_up make them
    function [43:0] setup_op;  // {addr, wdata}
        input [3:0] k;
        begin
            case (k)
                4'd0: setup_op = {REG_INT_MASK_CLR, INT_ALL};  // polled: no interrupts
                4'd1: setup_op = {REG_MAC_LO, mac[31:0]};
                4'd2: setup_op = {REG_MAC_HI, 16'd0, mac[47:32]};
                4'd3: setup_op = {REG_TX_TAIL, 32'd0};
                4'd4: setup_op = {REG_TX_BASE_LO, TX_RING};
                4'd5: setup_op = {REG_TX_BASE_HI, 32'd0};
                4'd6: setup_op = {REG_TX_LEN, RING_LEN[31:0]};
                4'd7: setup_op = {REG_RX_BASE_LO, RX_RING};
                4'd8: setup_op = {REG_RX_BASE_HI, 32'd0};
                4'd9: setup_op = {REG_RX_BUF_SIZE, RX_BUF_SIZE};
                4'd10: setup_op = {REG_RX_LEN, RING_LEN[31:0]};
                default: setup_op = {REG_RX_TAIL, ring_prev(32'd0)};
            endcase
        end
    endfunction

    always @(posedge clk) begin
        if (rst) begin
            phase <= PH_IDLE;
            step <= 4'd0;
            cmd <= 46'd0;
            waiting <= 1'b0;
            ack_seen <= 1'b0;
            rdata <= 32'd0;
            enabled_at <= 64'd0;
            rx_frames <= 32'd0;
            rx_missed <= 32'd0;
            tx_frames <= 32'd0;
        end else if (waiting) begin
            if (ack != ack_seen) begin
                waiting <= 1'b0;
                rdata <= rsp[31:0];
                if (rsp[33:32] != RESP_OKAY)
                    $fatal(1, "nic_pair_plain_tb: NIC %s: register access {we, addr} = %h answered %0d",
                           g == 0 ? "A" : "B", cmd[44:32], rsp[33:32]);
                case (phase)
                    PH_SETUP: begin
                        step <= step + 4'd1;
                        if (step == SETUP_STEPS - 4'd1) begin
                            phase <= PH_LINK;
                            step <= 4'd0;
                        end
                    end
                    PH_ENABLE: begin
                        step <= step + 4'd1;
                        if (step == 4'd0)
                            enabled_at <= cycle;
                        if (step == 4'd1) begin
                            phase <= PH_POLL;
                            step <= 4'd0;
                        end
                    end
                    PH_POLL: step <= {2'd0, step[1:0] + 2'd1};
                    PH_STATS: begin
                        step <= step + 4'd1;
                        case (step)
                            4'd0: rx_frames <= rsp[31:0];
                            4'd1: rx_missed <= rsp[31:0];
                            default: begin
                                tx_frames <= rsp[31:0];
                                phase <= PH_DONE;
                            end
                        endcase
                    end
                    default: ;
                endcase
            end
        end else if (stop && flood_bytes != 0 && phase != PH_STATS && phase != PH_DONE) begin
            phase <= PH_STATS;
            step <= 4'd0;
        end else begin
            case (phase)
                PH_IDLE: begin
                    if (flood_bytes != 0) begin
                        phase <= PH_SETUP;
                        step <= 4'd0;
                    end
                end
                PH_SETUP: begin
                    cmd <= {!cmd[45], 1'b1, setup_op(step)};
                    waiting <= 1'b1;
                    ack_seen <= ack;
                end
                PH_LINK: begin
                    if (link)
                        phase <= PH_ENABLE;
                end
                PH_ENABLE: begin
                    if (step == 4'd0)
                        cmd <= {!cmd[45], 1'b1, REG_CTRL, (32'd1 << CTRL_TX_EN_BIT) | (32'd1 << CTRL_RX_EN_BIT)
                                | ({30'd0, speed} << CTRL_SPEED_BIT)};
                    else
                        cmd <= {!cmd[45], 1'b1, REG_TX_TAIL, ring_prev(32'd0)};
                    waiting <= 1'b1;
                    ack_seen <= ack;
                end
                PH_POLL: begin
                    case (step[1:0])
                        2'd0: cmd <= {!cmd[45], 1'b0, REG_TX_HEAD, 32'd0};
                        2'd1: cmd <= {!cmd[45], 1'b1, REG_TX_TAIL, ring_prev(rdata)};
                        2'd2: cmd <= {!cmd[45], 1'b0, REG_RX_HEAD, 32'd0};
                        default: cmd <= {!cmd[45], 1'b1, REG_RX_TAIL, ring_prev(rdata)};
                    endcase
                    waiting <= 1'b1;
                    ack_seen <= ack;
                end
                PH_STATS: begin
                    case (step)
                        4'd0: cmd <= {!cmd[45], 1'b0, REG_STAT_RX_FRAMES, 32'd0};
                        4'd1: cmd <= {!cmd[45], 1'b0, REG_STAT_RX_MISSED, 32'd0};
                        default: cmd <= {!cmd[45], 1'b0, REG_STAT_TX_FRAMES, 32'd0};
                    endcase
                    waiting <= 1'b1;
                    ack_seen <= ack;
                end
                default: ;
            endcase
        end
    end
end
endgenerate

// ------------------------------------------------------------- end of the run
// clocks from the later of the NICs' enables to `now` (0: one never was)
function [63:0] flood_clocks;
    input [63:0] now;
    reg [63:0] from;
    begin
        from = drv[0].enabled_at > drv[1].enabled_at ? drv[0].enabled_at : drv[1].enabled_at;
        flood_clocks = drv[0].enabled_at != 64'd0 && drv[1].enabled_at != 64'd0 && now > from ? now - from : 64'd0;
    end
endfunction

// Whether `frames` of flood_bytes each fill at least MIN_LINE_PERMILLE of
// `clocks` on the wire, less what no NIC can fill: the first frame's way
// through DMA and the TX FIFO before it starts, the one on the wire when
// the statistics are read (two frame times and FILL_CLOCKS in all).
localparam [63:0] FILL_CLOCKS = 64'd256;
function near_line_rate;
    input [31:0] frames;
    input [63:0] clocks;
    reg [63:0] unfillable;
    begin
        unfillable = 64'd2 * frame_clocks + FILL_CLOCKS;
        near_line_rate = frames != 32'd0 && {32'd0, frames} * frame_clocks * 64'd1000
                         >= (clocks > unfillable ? clocks - unfillable : 64'd0) * MIN_LINE_PERMILLE;
    end
endfunction

// The per-clock work here is a counter and two compares: the measurement is nic_pair_tb's
always @(posedge clk) begin
    cycle <= cycle + 64'd1;
    if (cycle == RESET_CYCLES - 64'd1) begin
        rst <= 1'b0;
        // nic_pair_tb must be built for a clock that runs without cocotb
        // (HDL_CLOCK or MAIN_CLOCK); without one, clock_running is not there
        if (dut.clock_running !== 1'b1)
            $fatal(1, "nic_pair_plain_tb: nic_pair_tb has no running clock");
    end
    if (cycle == last_cycle) begin
        stop <= 1'b1;
        if (flood_bytes == 0) begin
            $display("plain: cycles=%0d", cycle + 64'd1 - RESET_CYCLES);
            $finish;
        end
    end
    if (drv[0].phase == PH_DONE && drv[1].phase == PH_DONE)
        flood_end(cycle + 64'd1 - RESET_CYCLES, flood_clocks(cycle));
end

// the flood's line, and its check
task flood_end;
    input [63:0] ran;      // clocks after reset, this one included
    input [63:0] clocks;   // of them, since both NICs were enabled
    begin
        $display("plain: cycles=%0d flood=%0d flood_cycles=%0d rx_frames_a=%0d rx_frames_b=%0d rx_missed_a=%0d rx_missed_b=%0d tx_frames_a=%0d tx_frames_b=%0d",
                 ran, flood_bytes, clocks, drv[0].rx_frames, drv[1].rx_frames, drv[0].rx_missed,
                 drv[1].rx_missed, drv[0].tx_frames, drv[1].tx_frames);
        if (clocks == 64'd0)
            $fatal(1, "nic_pair_plain_tb: the flood never started in %0d clocks (link never up?): run longer", ran);
        if (!near_line_rate(drv[0].rx_frames, clocks) || !near_line_rate(drv[1].rx_frames, clocks))
            $fatal(1, "nic_pair_plain_tb: the flood fell short: %0d and %0d frames received by A and B in %0d clocks, a 1 Gb/s line carries %0d of %0d bytes (%0d per mille required)",
                   drv[0].rx_frames, drv[1].rx_frames, clocks, clocks / frame_clocks, flood_bytes,
                   MIN_LINE_PERMILLE);
        $finish;
    end
endtask

endmodule

`resetall
