/*
 * Receive checksum check: watches the MAC's byte stream (FCS already
 * stripped) and, at the end of each frame, reports in the RX descriptor's
 * CSUM layout whether it carried an IPv4 header (checked, and wrong?) and a
 * TCP or UDP segment (checked, and wrong?).
 *
 * Untagged Ethernet II only (type 0x0800 at bytes 12..13). The IPv4 header
 * is checked when all of it arrived; the TCP/UDP checksum when the frame
 * holds the whole datagram (IP total length), it is not a fragment and, for
 * UDP, the checksum field is not 0 ("no checksum"). The pseudo-header's
 * addresses are summed as they pass; protocol and length are added at the
 * end. Sums are one's complement over 16-bit big-endian words: a byte at an
 * even frame offset is a high byte (IP starts at 14, headers are 4-byte
 * multiples, so that holds for both sums).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_csum (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  s_data,
    input  wire        s_valid,
    input  wire        s_eof,

    output wire [5:0]  status     // valid with s_eof: {UDP, TCP, L4_ERR, L4_CHK, IP_ERR, IP_CHK}
);

reg [15:0] off_reg;          // frame offset of the next byte
reg is_ip_reg;               // type 0x0800 and version 4, IHL >= 5
reg [7:0] type_hi_reg;
reg [15:0] l4_start_reg;
reg [15:0] ip_end_reg;
reg [15:0] tot_len_reg;
reg [7:0] ihl4_reg;          // IP header bytes
reg frag_reg;
reg [7:0] proto_reg;
reg udp_zero_reg;            // the UDP checksum field is 0
reg [31:0] ip_sum_reg;
reg [31:0] l4_sum_reg;

wire [15:0] off = off_reg;
wire [31:0] word_part = off[0] ? {24'd0, s_data} : {16'd0, s_data, 8'd0};

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

wire is_tcp = (proto_reg == 8'd6);
wire is_udp = (proto_reg == 8'd17);
wire [15:0] l4_len = tot_len_reg - {8'd0, ihl4_reg};
wire [31:0] l4_total = l4_sum_reg + {24'd0, proto_reg} + {16'd0, l4_len};
wire ip_complete = is_ip_reg && (off_reg >= l4_start_reg) && (off_reg >= 16'd34);
wire l4_ok_shape = ip_complete && (tot_len_reg >= {8'd0, ihl4_reg}) && (off_reg >= ip_end_reg) && !frag_reg
    && ((is_tcp && l4_len >= 16'd20) || (is_udp && l4_len >= 16'd8));
wire ip_chk = ip_complete;
wire ip_err = ip_chk && (fold(ip_sum_reg) != 16'hffff);
wire l4_chk = l4_ok_shape && !(is_udp && udp_zero_reg);
wire l4_err = l4_chk && (fold(l4_total) != 16'hffff);

assign status = {is_ip_reg && is_udp, is_ip_reg && is_tcp, l4_err, l4_chk, ip_err, ip_chk};

always @(posedge clk) begin
    if (s_valid) begin
        if (off_reg != 16'hffff) begin
            off_reg <= off_reg + 1;
        end
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
        if (off >= 16'd14 && (off < 16'd15 || off < l4_start_reg)) begin
            ip_sum_reg <= ip_sum_reg + word_part;
        end
        // pseudo-header addresses, then the segment itself
        if ((off >= 16'd26 && off < 16'd34) || (off >= 16'd34 && off >= l4_start_reg && off < ip_end_reg)) begin
            l4_sum_reg <= l4_sum_reg + word_part;
        end
        if (off >= 16'd34 && off == l4_start_reg + 16'd6) begin
            udp_zero_reg <= (s_data == 8'd0);
        end else if (off >= 16'd34 && off == l4_start_reg + 16'd7) begin
            udp_zero_reg <= udp_zero_reg && (s_data == 8'd0);
        end
    end
    if (s_eof || rst) begin
        off_reg <= 16'd0;
        is_ip_reg <= 1'b0;
        type_hi_reg <= 8'd0;
        l4_start_reg <= 16'hffff;
        ip_end_reg <= 16'd0;
        tot_len_reg <= 16'd0;
        ihl4_reg <= 8'd0;
        frag_reg <= 1'b0;
        proto_reg <= 8'd0;
        udp_zero_reg <= 1'b0;
        ip_sum_reg <= 32'd0;
        l4_sum_reg <= 32'd0;
    end
end

endmodule

`resetall
