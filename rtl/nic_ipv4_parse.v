/*
 * Ethernet II / IPv4 header parser and checksum accumulator on a byte
 * stream, shared by nic_rx_csum (verify) and nic_tx_csum (insert).
 *
 * The caller keeps the frame offset and gives it with each byte (off, the
 * frame offset of s_data, 0 = first byte of the destination address). Only
 * untagged frames: type 0x0800 at bytes 12..13, version 4 and IHL >= 5 at
 * byte 14, total length at 16..17, flags/fragment offset at 20..21,
 * protocol at 23. clr (or rst) starts a new frame; it wins over a byte in
 * the same cycle.
 *
 * Sums are one's complement over 16-bit big-endian words: a byte at an even
 * frame offset is a high byte (IP starts at 14, headers are 4-byte
 * multiples, so that holds for both sums). ip_sum covers the IPv4 header,
 * l4_sum the TCP/UDP segment (from the end of the IP header to the IP total
 * length); both are folded to 16 bits, not complemented.
 *   SKIP_IP_CSUM = 1: the header's checksum field (bytes 24..25) is taken as
 *                     0 (TX, which computes it).
 *   PSEUDO_HDR   = 1: l4_sum includes the pseudo-header: the addresses
 *                     (bytes 26..33) as they pass, protocol and L4 length
 *                     added at the end (RX, which checks it).
 *
 * ip_complete and l4_whole are for the bytes seen so far (off = bytes
 * received once the frame's last byte is in).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_ipv4_parse #(
    parameter SKIP_IP_CSUM = 0,
    parameter PSEUDO_HDR = 0
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        clr,            // start a new frame

    input  wire [7:0]  s_data,
    input  wire        s_valid,
    input  wire [15:0] off,            // frame offset of s_data; after the frame, its length

    output wire        ip_complete,    // IPv4 and its whole header seen
    output wire        l4_whole,       // ... and the whole datagram (total length >= header), not a fragment
    output wire        is_tcp,         // IPv4, protocol 6
    output wire        is_udp,         // IPv4, protocol 17
    output wire [15:0] l4_start,       // frame offset of the TCP/UDP header (14 + IHL * 4)
    output wire [15:0] ip_end,         // frame offset past the datagram (14 + total length, 16 bits)
    output wire [15:0] ip_sum,         // folded sum of the IPv4 header
    output wire [15:0] l4_sum          // folded sum of the segment (+ pseudo-header with PSEUDO_HDR)
);

reg is_ip_reg;               // type 0x0800 and version 4, IHL >= 5
reg [7:0] type_hi_reg;
reg [15:0] l4_start_reg;
reg [15:0] ip_end_reg;
reg [15:0] tot_len_reg;
reg [7:0] ihl4_reg;          // IP header bytes
reg frag_reg;
reg [7:0] proto_reg;
reg [31:0] ip_sum_reg;
reg [31:0] l4_sum_reg;

function [15:0] fold;
    input [31:0] sum;
    reg [16:0] f1;
    reg [16:0] f2;
    begin
        f1 = {1'b0, sum[15:0]} + {1'b0, sum[31:16]};
        f2 = {1'b0, f1[15:0]} + {16'd0, f1[16]};
        fold = f2[15:0] + {15'd0, f2[16]};
    end
endfunction

wire [31:0] word_part = off[0] ? {24'd0, s_data} : {16'd0, s_data, 8'd0};
wire [15:0] l4_len = tot_len_reg - {8'd0, ihl4_reg};
wire [31:0] l4_total = (PSEUDO_HDR != 0) ? l4_sum_reg + {24'd0, proto_reg} + {16'd0, l4_len} : l4_sum_reg;
wire ip_csum_field = (SKIP_IP_CSUM != 0) && (off == 16'd24 || off == 16'd25);
wire pseudo_addr = (PSEUDO_HDR != 0) && off >= 16'd26 && off < 16'd34;

assign ip_complete = is_ip_reg && (off >= l4_start_reg) && (off >= 16'd34);
assign l4_whole = ip_complete && (tot_len_reg >= {8'd0, ihl4_reg}) && (off >= ip_end_reg) && !frag_reg;
assign is_tcp = is_ip_reg && (proto_reg == 8'd6);
assign is_udp = is_ip_reg && (proto_reg == 8'd17);
assign l4_start = l4_start_reg;
assign ip_end = ip_end_reg;
assign ip_sum = fold(ip_sum_reg);
assign l4_sum = fold(l4_total);

always @(posedge clk) begin
    if (s_valid) begin
        case (off)
            16'd12: type_hi_reg <= s_data;
            16'd13: is_ip_reg <= (type_hi_reg == 8'h08) && (s_data == 8'h00);
            16'd14: begin
                is_ip_reg <= is_ip_reg && (s_data[7:4] == 4'd4) && (s_data[3:0] >= 4'd5);
                ihl4_reg <= {2'b00, s_data[3:0], 2'b00};
                l4_start_reg <= 16'd14 + {10'd0, s_data[3:0], 2'b00};
            end
            16'd16: tot_len_reg[15:8] <= s_data;
            16'd17: begin
                tot_len_reg[7:0] <= s_data;
                ip_end_reg <= 16'd14 + {tot_len_reg[15:8], s_data};
            end
            16'd20: frag_reg <= s_data[5] || (s_data[4:0] != 0);
            16'd21: frag_reg <= frag_reg || (s_data != 0);
            16'd23: proto_reg <= s_data;
            default: ;
        endcase
        if (off >= 16'd14 && (off < 16'd15 || off < l4_start_reg) && !ip_csum_field) begin
            ip_sum_reg <= ip_sum_reg + word_part;
        end
        if (pseudo_addr || (off >= 16'd34 && off >= l4_start_reg && off < ip_end_reg)) begin
            l4_sum_reg <= l4_sum_reg + word_part;
        end
    end
    if (rst || clr) begin
        is_ip_reg <= 1'b0;
        type_hi_reg <= 8'd0;
        l4_start_reg <= 16'hffff;
        ip_end_reg <= 16'd0;
        tot_len_reg <= 16'd0;
        ihl4_reg <= 8'd0;
        frag_reg <= 1'b0;
        proto_reg <= 8'd0;
        ip_sum_reg <= 32'd0;
        l4_sum_reg <= 32'd0;
    end
end

endmodule

`resetall
