/*
 * Transmit checksum insertion, between the TX FIFO's byte stream and the MAC.
 *
 * A frame whose first descriptor asked for nothing (s_axis_tuser[1:0] = 0 on
 * its first byte) passes straight through, start_ok included, so plain
 * frames see no extra latency. A frame that asked for IPCS and/or L4CS is
 * stored in a frame buffer while its checksums are summed, patched, then
 * sent from the buffer: one frame time of extra latency, and offloaded
 * frames are handled one at a time.
 *
 * Untagged Ethernet II / IPv4 only: IPCS writes the one's complement of the
 * IPv4 header's sum (checksum field taken as 0) into bytes 24..25; L4CS
 * writes the complement of the sum of the TCP or UDP segment (from the end
 * of the IP header to the IP total length), checksum field included, into
 * that field: the driver seeds the field with the pseudo-header sum, as BSD
 * stacks do for offload. A UDP result of 0 is sent as 0xffff. Nothing is
 * changed in a frame that is not IPv4, is a fragment (L4CS), or is shorter
 * than its headers say. A frame longer than the buffer is cut short and
 * aborted (gmii_tx_er), so keep offloaded frames to BUF_BYTES. An offloaded
 * frame the DMA cut short (abort with its last byte) is discarded: the MAC
 * has seen none of it. Headers are parsed and summed by nic_ipv4_parse as
 * the frame is stored.
 *
 * pending: an offloaded frame is being stored, patched or sent.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_csum #(
    parameter BUF_ADDR_W = 14         // frame buffer: 16 KiB
) (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    input  wire [2:0]  s_axis_tuser,   // {abort, L4CS, IPCS}
    input  wire        s_start_ok,

    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output wire        m_axis_tuser,   // abort, with tlast
    output wire        m_start_ok,
    output wire        pending
);

localparam DEPTH = 1 << BUF_ADDR_W;
localparam [15:0] LAST_ADDR = DEPTH - 1;

localparam [1:0]
    STATE_PASS = 2'd0,
    STATE_FILL = 2'd1,
    STATE_PATCH = 2'd2,
    STATE_DRAIN = 2'd3;

reg [7:0] mem [0:DEPTH-1];

reg [1:0] state_reg;
reg in_frame_reg;           // pass-through: inside a frame
reg [15:0] off_reg;         // FILL: frame offset of the next byte; DRAIN: bytes stored
reg ipcs_reg;
reg l4cs_reg;
reg abort_reg;
reg [1:0] patch_reg;
reg [15:0] rd_ptr_reg;
reg [15:0] rd_idx_reg;      // frame offset of the byte in rd_data_reg
reg [7:0] rd_data_reg;
reg rd_valid_reg;

wire first_wants = !in_frame_reg && s_axis_tvalid && (s_axis_tuser[1:0] != 2'b00);
wire pass = (state_reg == STATE_PASS) && !first_wants;
wire fill = (state_reg == STATE_FILL);
wire fill_take = fill && s_axis_tvalid;
wire fill_start = (state_reg == STATE_PASS) && first_wants;

wire ip_complete;
wire l4_whole;
wire is_tcp;
wire is_udp;
wire [15:0] l4_start;
wire [15:0] ip_end;
wire [15:0] ip_sum;
wire [15:0] l4_sum;

// parses and sums the bytes stored in FILL; cleared when an offloaded frame starts
nic_ipv4_parse #(
    .SKIP_IP_CSUM(1),
    .PSEUDO_HDR(0)
) parse_inst (
    .clk(clk),
    .rst(rst),
    .clr(fill_start),
    .s_data(s_axis_tdata),
    .s_valid(fill_take),
    .off(off_reg),
    .ip_complete(ip_complete),
    .l4_whole(l4_whole),
    .is_tcp(is_tcp),
    .is_udp(is_udp),
    .l4_start(l4_start),
    .ip_end(ip_end),
    .ip_sum(ip_sum),
    .l4_sum(l4_sum)
);

wire do_ip = ipcs_reg && ip_complete;
wire do_l4 = l4cs_reg && l4_whole
    && ((is_tcp && ip_end >= l4_start + 16'd20) || (is_udp && ip_end >= l4_start + 16'd8));
wire [15:0] ip_csum = ~ip_sum;
wire [15:0] l4_raw = ~l4_sum;
wire [15:0] l4_csum = (is_udp && l4_raw == 16'd0) ? 16'hffff : l4_raw;
wire [15:0] l4_field = l4_start + (is_tcp ? 16'd16 : 16'd6);

// memory write port: FILL stores bytes, PATCH writes checksum bytes
reg wr_en;
reg [15:0] wr_addr;
reg [7:0] wr_data;
always @* begin
    wr_en = 1'b0;
    wr_addr = off_reg;
    wr_data = s_axis_tdata;
    if (fill_take && off_reg <= LAST_ADDR) begin
        wr_en = 1'b1;
    end else if (state_reg == STATE_PATCH) begin
        case (patch_reg)
            2'd0: begin wr_en = do_ip; wr_addr = 16'd24; wr_data = ip_csum[15:8]; end
            2'd1: begin wr_en = do_ip; wr_addr = 16'd25; wr_data = ip_csum[7:0]; end
            2'd2: begin wr_en = do_l4; wr_addr = l4_field; wr_data = l4_csum[15:8]; end
            default: begin wr_en = do_l4; wr_addr = l4_field + 16'd1; wr_data = l4_csum[7:0]; end
        endcase
    end
end

wire drain = (state_reg == STATE_DRAIN);
wire drain_last = rd_idx_reg + 16'd1 == off_reg;
wire drain_take = drain && rd_valid_reg && m_axis_tready;
wire do_read = drain && (!rd_valid_reg || m_axis_tready) && (rd_ptr_reg != off_reg);

assign s_axis_tready = pass ? m_axis_tready : fill;
assign m_axis_tdata = pass ? s_axis_tdata : rd_data_reg;
assign m_axis_tvalid = pass ? s_axis_tvalid : (drain && rd_valid_reg);
assign m_axis_tlast = pass ? s_axis_tlast : drain_last;
assign m_axis_tuser = pass ? s_axis_tuser[2] : abort_reg;
assign m_start_ok = pass ? s_start_ok : drain;
assign pending = (state_reg != STATE_PASS);

// addresses are 16 bits wide; the buffer uses the low BUF_ADDR_W
/* verilator lint_off UNUSEDSIGNAL */
wire [2*(16-BUF_ADDR_W)-1:0] unused_addr = {wr_addr[15:BUF_ADDR_W], rd_ptr_reg[15:BUF_ADDR_W]};
/* verilator lint_on UNUSEDSIGNAL */

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr[BUF_ADDR_W-1:0]] <= wr_data;
    end
    if (do_read) begin
        rd_data_reg <= mem[rd_ptr_reg[BUF_ADDR_W-1:0]];
        rd_ptr_reg <= rd_ptr_reg + 1;
        rd_idx_reg <= rd_ptr_reg;
        rd_valid_reg <= 1'b1;
    end else if (drain_take) begin
        rd_valid_reg <= 1'b0;
    end

    case (state_reg)
        STATE_PASS: begin
            if (first_wants) begin
                state_reg <= STATE_FILL;
                ipcs_reg <= s_axis_tuser[0];
                l4cs_reg <= s_axis_tuser[1];
                abort_reg <= 1'b0;
                off_reg <= 16'd0;
            end else if (s_axis_tvalid && m_axis_tready) begin
                in_frame_reg <= !s_axis_tlast;
            end
        end
        STATE_FILL: begin
            if (s_axis_tvalid) begin
                if (off_reg <= LAST_ADDR) begin
                    off_reg <= off_reg + 1;
                end else begin
                    abort_reg <= 1'b1;   // too long for the buffer: cut short
                end
                if (s_axis_tlast && s_axis_tuser[2]) begin
                    state_reg <= STATE_PASS;   // cut short by the DMA: nothing of it was sent
                end else if (s_axis_tlast) begin
                    abort_reg <= abort_reg || (off_reg > LAST_ADDR);
                    patch_reg <= 2'd0;
                    state_reg <= STATE_PATCH;
                end
            end
        end
        STATE_PATCH: begin
            patch_reg <= patch_reg + 1;
            if (patch_reg == 2'd3) begin
                rd_ptr_reg <= 16'd0;
                rd_valid_reg <= 1'b0;
                state_reg <= STATE_DRAIN;
            end
        end
        STATE_DRAIN: begin
            if (drain_take && drain_last) begin
                in_frame_reg <= 1'b0;
                state_reg <= STATE_PASS;
            end
        end
        default: state_reg <= STATE_PASS;
    endcase

    if (rst) begin
        state_reg <= STATE_PASS;
        in_frame_reg <= 1'b0;
        off_reg <= 16'd0;
        rd_ptr_reg <= 16'd0;
        rd_idx_reg <= 16'd0;
        rd_valid_reg <= 1'b0;
        abort_reg <= 1'b0;
    end
end

endmodule

`resetall
