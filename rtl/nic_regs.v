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
 * Interrupt moderation: with INT_THROTTLE != 0, irq may rise only when at
 * least INT_THROTTLE * 256 ns have passed since it last rose; a cause that
 * arrives earlier waits (it is not lost). The line falls at once when the
 * pending causes are cleared or masked.
 *
 * LINK is raised on every change of the (registered) phy link input;
 * MDIO_CMD starts a transaction on nic_mdio; DMA errors from either engine
 * latch DMA_ERR_ADDR/INFO and raise DMA_ERR.
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
    output wire        loopback,
    output wire [1:0]  speed,
    output wire        rx_bam,
    output wire        rx_promisc,
    output wire        rx_allmulti,
    output wire [15:0] max_frame_len,
    output wire [63:0] mc_hash,

    // MDIO master
    output wire        mdio_start,
    output wire [1:0]  mdio_op,
    output wire [4:0]  mdio_phy,
    output wire [4:0]  mdio_reg,
    output wire [15:0] mdio_wdata,
    output wire [7:0]  mdio_div,
    input  wire        mdio_busy,
    input  wire [15:0] mdio_rdata,
    input  wire        mdio_done,

    input  wire        link_up,

    // DMA errors (pulse + what failed), from each engine
    input  wire        tx_dma_err,
    input  wire [63:0] tx_dma_err_addr,
    input  wire        tx_dma_err_write,
    input  wire [1:0]  tx_dma_err_resp,
    input  wire [1:0]  tx_dma_err_cause,
    input  wire        tx_stopped,
    input  wire        rx_dma_err,
    input  wire [63:0] rx_dma_err_addr,
    input  wire        rx_dma_err_write,
    input  wire [1:0]  rx_dma_err_resp,
    input  wire [1:0]  rx_dma_err_cause,
    input  wire        rx_stopped,

    output wire [63:0] tx_ring_base,
    output wire [15:0] tx_ring_len,
    output wire [15:0] tx_ring_tail,
    output wire        tx_ring_reset,
    input  wire [15:0] tx_ring_head,
    input  wire        tx_busy,
    input  wire        tx_pending,

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

    // statistics events (one-cycle pulses; stat_rx_missed counts frames missed this cycle)
    input  wire        stat_tx_frame,
    input  wire [15:0] stat_tx_frame_len,
    input  wire        stat_tx_no_carrier,
    input  wire        stat_rx_frame,
    input  wire [15:0] stat_rx_frame_len,
    input  wire        stat_rx_fcs_err,
    input  wire [1:0]  stat_rx_missed,
    input  wire        stat_rx_filtered,
    input  wire        stat_rx_toolong,
    input  wire        stat_rx_runt,
    input  wire        stat_rx_framing,
    input  wire        stat_tx_bcast,
    input  wire        stat_tx_mcast,
    input  wire        stat_rx_bcast,
    input  wire        stat_rx_mcast,
    input  wire        stat_rx_fifo_ovf,

    output wire        irq
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: not every constant of the programming model is used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam [4:0] THROTTLE_PRESCALE_LAST = 5'd31;  // 32 clocks per INT_THROTTLE unit (256 ns at 125 MHz)

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
reg loopback_reg;
reg [1:0] speed_reg;
reg [2:0] rx_ctrl_reg;
reg [15:0] max_frame_len_reg;
reg [63:0] mc_hash_reg;
reg [15:0] throttle_reg;
reg [15:0] throttle_cnt_reg;   // units left before irq may rise again
reg [4:0] prescale_reg;
reg mdio_start_reg;
reg [1:0] mdio_op_reg;
reg [4:0] mdio_phy_reg;
reg [4:0] mdio_reg_reg;
reg [15:0] mdio_wdata_reg;
reg [7:0] mdio_div_reg;
reg link_reg;
reg [63:0] dma_err_addr_reg;
reg [7:0] dma_err_info_reg;
// each engine's last error as well, so errors of both engines that land before
// the driver looks are both reported (DMA_ERR_* keeps only the last)
reg [63:0] tx_err_addr_reg;
reg tx_err_write_reg;
reg [1:0] tx_err_resp_reg;
reg [1:0] tx_err_cause_reg;
reg [63:0] rx_err_addr_reg;
reg rx_err_write_reg;
reg [1:0] rx_err_resp_reg;
reg [1:0] rx_err_cause_reg;
reg stat_clr_reg;
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
reg [31:0] stat_rx_framing_reg;
reg [31:0] stat_tx_bcast_reg;
reg [31:0] stat_tx_mcast_reg;
reg [31:0] stat_rx_bcast_reg;
reg [31:0] stat_rx_mcast_reg;
reg [31:0] stat_rx_fifo_ovf_reg;
reg [31:0] stat_dma_err_reg;
reg [31:0] stat_tx_no_carrier_reg;

assign soft_rst = soft_rst_reg;
assign tx_en = tx_en_reg;
assign rx_en = rx_en_reg;
assign mac_addr = {mac_hi_reg, mac_lo_reg};
assign rx_buf_size = rx_buf_size_reg;
assign loopback = loopback_reg;
assign speed = speed_reg;
assign rx_bam = rx_ctrl_reg[RX_CTRL_BAM_BIT];
assign rx_promisc = rx_ctrl_reg[RX_CTRL_PROMISC_BIT];
assign rx_allmulti = rx_ctrl_reg[RX_CTRL_ALLMULTI_BIT];
assign max_frame_len = max_frame_len_reg;
assign mc_hash = mc_hash_reg;
assign mdio_start = mdio_start_reg;
assign mdio_op = mdio_op_reg;
assign mdio_phy = mdio_phy_reg;
assign mdio_reg = mdio_reg_reg;
assign mdio_wdata = mdio_wdata_reg;
assign mdio_div = mdio_div_reg;
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

reg [INT_WIDTH-1:0] int_cause_next;
reg [INT_WIDTH-1:0] int_mask_next;

wire link_change = (link_reg != link_up);
wire dma_err = tx_dma_err || rx_dma_err;

function [INT_WIDTH-1:0] cause_bit;
    input integer bit_index;
    input value;
    begin
        cause_bit = {{(INT_WIDTH-1){1'b0}}, value} << bit_index;
    end
endfunction

wire [INT_WIDTH-1:0] hw_set = cause_bit(INT_RX_DONE_BIT, int_rx_done)
    | cause_bit(INT_TX_DONE_BIT, int_tx_done)
    | cause_bit(INT_RX_MISS_BIT, int_rx_miss)
    | cause_bit(INT_LINK_BIT, link_change)
    | cause_bit(INT_MDIO_BIT, mdio_done)
    | cause_bit(INT_DMA_ERR_BIT, dma_err);

// moderation: irq may rise only once the throttle counter has run out
wire irq_pending = |(int_cause_next & int_mask_next);
wire irq_next = irq_pending && (irq_reg || throttle_cnt_reg == 0);


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
    int_cause_next = int_cause_next | hw_set;
end

always @(posedge clk) begin
    soft_rst_reg <= 1'b0;
    tx_ring_reset_reg <= 1'b0;
    rx_ring_reset_reg <= 1'b0;
    mdio_start_reg <= 1'b0;
    stat_clr_reg <= 1'b0;
    link_reg <= link_up;

    if (wr_req) begin
        case (wr_addr)
            REG_CTRL: begin
                if (wbits[CTRL_RST_BIT]) begin
                    soft_rst_reg <= 1'b1;
                end
                if (s_axil_wstrb[0]) begin
                    tx_en_reg <= s_axil_wdata[CTRL_TX_EN_BIT];
                    rx_en_reg <= s_axil_wdata[CTRL_RX_EN_BIT];
                    loopback_reg <= s_axil_wdata[CTRL_LOOPBACK_BIT];
                    stat_clr_reg <= s_axil_wdata[CTRL_STAT_CLR_BIT];
                end
                if (s_axil_wstrb[1]) begin
                    speed_reg <= s_axil_wdata[CTRL_SPEED_BIT +: 2];
                end
            end
            REG_RX_CTRL: rx_ctrl_reg <= (rx_ctrl_reg & ~wmask[2:0]) | wbits[2:0];
            REG_MAX_FRAME_LEN: max_frame_len_reg <= masked16(max_frame_len_reg);
            REG_MC_HASH_LO: mc_hash_reg[31:0] <= masked(mc_hash_reg[31:0]);
            REG_MC_HASH_HI: mc_hash_reg[63:32] <= masked(mc_hash_reg[63:32]);
            REG_INT_THROTTLE: throttle_reg <= masked16(throttle_reg);
            REG_MDIO_CMD: begin
                // the whole command at once; ignored while a transaction runs
                if (!mdio_busy && &s_axil_wstrb) begin
                    mdio_wdata_reg <= s_axil_wdata[MDIO_CMD_DATA_BIT +: 16];
                    mdio_reg_reg <= s_axil_wdata[MDIO_CMD_REG_BIT +: 5];
                    mdio_phy_reg <= s_axil_wdata[MDIO_CMD_PHY_BIT +: 5];
                    mdio_op_reg <= s_axil_wdata[MDIO_CMD_OP_BIT +: 2];
                    mdio_start_reg <= (s_axil_wdata[MDIO_CMD_OP_BIT +: 2] == NIC_MDIO_OP_WRITE)
                        || (s_axil_wdata[MDIO_CMD_OP_BIT +: 2] == NIC_MDIO_OP_READ);
                end
            end
            REG_MDIO_DIV: mdio_div_reg <= (mdio_div_reg & ~wmask[7:0]) | wbits[7:0];
            REG_MAC_LO: mac_lo_reg <= masked(mac_lo_reg);
            REG_MAC_HI: mac_hi_reg <= masked16(mac_hi_reg);
            REG_RX_BUF_SIZE: rx_buf_size_reg <= masked(rx_buf_size_reg);
            REG_TX_BASE_LO: begin
                // descriptors are 16-byte aligned: bits 3:0 are always 0
                tx_base_reg[31:0] <= masked(tx_base_reg[31:0]) & 32'hffff_fff0;
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
                rx_base_reg[31:0] <= masked(rx_base_reg[31:0]) & 32'hffff_fff0;
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
    irq_reg <= irq_next;

    if (irq_next && !irq_reg) begin
        throttle_cnt_reg <= throttle_reg;
        prescale_reg <= 0;
    end else if (throttle_cnt_reg != 0) begin
        prescale_reg <= prescale_reg + 1;
        if (prescale_reg == THROTTLE_PRESCALE_LAST) begin
            throttle_cnt_reg <= throttle_cnt_reg - 1;
        end
    end

    if (tx_dma_err) begin
        tx_err_addr_reg <= tx_dma_err_addr;
        tx_err_write_reg <= tx_dma_err_write;
        tx_err_resp_reg <= tx_dma_err_resp;
        tx_err_cause_reg <= tx_dma_err_cause;
    end
    if (rx_dma_err) begin
        rx_err_addr_reg <= rx_dma_err_addr;
        rx_err_write_reg <= rx_dma_err_write;
        rx_err_resp_reg <= rx_dma_err_resp;
        rx_err_cause_reg <= rx_dma_err_cause;
    end

    if (rx_dma_err) begin
        dma_err_addr_reg <= rx_dma_err_addr;
        dma_err_info_reg <= ({7'd0, 1'b1} << DMA_ERR_INFO_RX_BIT) | ({7'd0, rx_dma_err_write} << DMA_ERR_INFO_WRITE_BIT)
            | ({6'd0, rx_dma_err_resp} << DMA_ERR_INFO_RESP_BIT)
            | ({6'd0, rx_dma_err_cause} << DMA_ERR_INFO_CAUSE_BIT);
    end else if (tx_dma_err) begin
        dma_err_addr_reg <= tx_dma_err_addr;
        dma_err_info_reg <= ({7'd0, 1'b1} << DMA_ERR_INFO_TX_BIT) | ({7'd0, tx_dma_err_write} << DMA_ERR_INFO_WRITE_BIT)
            | ({6'd0, tx_dma_err_resp} << DMA_ERR_INFO_RESP_BIT)
            | ({6'd0, tx_dma_err_cause} << DMA_ERR_INFO_CAUSE_BIT);
    end

    if (stat_tx_frame) begin
        stat_tx_frames_reg <= stat_tx_frames_reg + 1;
        stat_tx_octets_reg <= stat_tx_octets_reg + {16'd0, stat_tx_frame_len};
    end
    if (stat_tx_no_carrier) stat_tx_no_carrier_reg <= stat_tx_no_carrier_reg + 1;
    if (stat_rx_frame) begin
        stat_rx_frames_reg <= stat_rx_frames_reg + 1;
        stat_rx_octets_reg <= stat_rx_octets_reg + {16'd0, stat_rx_frame_len};
    end
    if (stat_rx_fcs_err) stat_rx_fcs_err_reg <= stat_rx_fcs_err_reg + 1;
    stat_rx_missed_reg <= stat_rx_missed_reg + {30'd0, stat_rx_missed};
    if (stat_rx_filtered) stat_rx_filtered_reg <= stat_rx_filtered_reg + 1;
    if (stat_rx_toolong) stat_rx_toolong_reg <= stat_rx_toolong_reg + 1;
    if (stat_rx_runt) stat_rx_runt_reg <= stat_rx_runt_reg + 1;
    if (stat_rx_framing) stat_rx_framing_reg <= stat_rx_framing_reg + 1;
    if (stat_tx_bcast) stat_tx_bcast_reg <= stat_tx_bcast_reg + 1;
    if (stat_tx_mcast) stat_tx_mcast_reg <= stat_tx_mcast_reg + 1;
    if (stat_rx_bcast) stat_rx_bcast_reg <= stat_rx_bcast_reg + 1;
    if (stat_rx_mcast) stat_rx_mcast_reg <= stat_rx_mcast_reg + 1;
    if (stat_rx_fifo_ovf) stat_rx_fifo_ovf_reg <= stat_rx_fifo_ovf_reg + 1;
    if (dma_err) stat_dma_err_reg <= stat_dma_err_reg + {30'd0, tx_dma_err && rx_dma_err, tx_dma_err != rx_dma_err};

    if (stat_clr_reg) begin
        clear_stats();
    end

    if (rst || soft_rst_reg) begin
        soft_rst_reg <= 1'b0;
        tx_en_reg <= 1'b0;
        rx_en_reg <= 1'b0;
        mac_lo_reg <= 32'd0;
        mac_hi_reg <= 16'd0;
        rx_buf_size_reg <= RESET_RX_BUF_SIZE;
        loopback_reg <= 1'b0;
        speed_reg <= NIC_SPEED_1000;
        rx_ctrl_reg <= RESET_RX_CTRL[2:0];
        max_frame_len_reg <= RESET_MAX_FRAME_LEN[15:0];
        mc_hash_reg <= 64'd0;
        throttle_reg <= 16'd0;
        throttle_cnt_reg <= 16'd0;
        prescale_reg <= 5'd0;
        mdio_start_reg <= 1'b0;
        mdio_op_reg <= 2'd0;
        mdio_phy_reg <= 5'd0;
        mdio_reg_reg <= 5'd0;
        mdio_wdata_reg <= 16'd0;
        mdio_div_reg <= RESET_MDIO_DIV[7:0];
        dma_err_addr_reg <= 64'd0;
        dma_err_info_reg <= 8'd0;
        tx_err_addr_reg <= 64'd0;
        tx_err_write_reg <= 1'b0;
        tx_err_resp_reg <= 2'd0;
        tx_err_cause_reg <= 2'd0;
        rx_err_addr_reg <= 64'd0;
        rx_err_write_reg <= 1'b0;
        rx_err_resp_reg <= 2'd0;
        rx_err_cause_reg <= 2'd0;
        stat_clr_reg <= 1'b0;
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
        clear_stats();
    end
end

task clear_stats;
    begin
        stat_tx_frames_reg <= 0;
        stat_tx_octets_reg <= 0;
        stat_rx_frames_reg <= 0;
        stat_rx_octets_reg <= 0;
        stat_rx_fcs_err_reg <= 0;
        stat_rx_missed_reg <= 0;
        stat_rx_filtered_reg <= 0;
        stat_rx_toolong_reg <= 0;
        stat_rx_runt_reg <= 0;
        stat_rx_framing_reg <= 0;
        stat_tx_bcast_reg <= 0;
        stat_tx_mcast_reg <= 0;
        stat_rx_bcast_reg <= 0;
        stat_rx_mcast_reg <= 0;
        stat_rx_fifo_ovf_reg <= 0;
        stat_dma_err_reg <= 0;
        stat_tx_no_carrier_reg <= 0;
    end
endtask

// read mux
reg [31:0] rd_data;

always @* begin
    case (rd_addr)
        REG_ID: rd_data = {NIC_VENDOR_ID, NIC_DEVICE_ID};
        REG_VERSION: rd_data = {16'd0, NIC_REVISION};
        REG_CTRL: rd_data = ({31'd0, tx_en_reg} << CTRL_TX_EN_BIT) | ({31'd0, rx_en_reg} << CTRL_RX_EN_BIT)
            | ({31'd0, loopback_reg} << CTRL_LOOPBACK_BIT) | ({30'd0, speed_reg} << CTRL_SPEED_BIT);
        REG_STATUS: rd_data = ({31'd0, tx_busy} << STATUS_TX_BUSY_BIT) | ({31'd0, rx_busy} << STATUS_RX_BUSY_BIT)
            | ({31'd0, link_reg} << STATUS_LINK_UP_BIT) | ({31'd0, tx_stopped} << STATUS_TX_STOPPED_BIT)
            | ({31'd0, rx_stopped} << STATUS_RX_STOPPED_BIT) | ({31'd0, tx_pending} << STATUS_TX_PENDING_BIT);
        REG_RX_CTRL: rd_data = {29'd0, rx_ctrl_reg};
        REG_MAX_FRAME_LEN: rd_data = {16'd0, max_frame_len_reg};
        REG_MC_HASH_LO: rd_data = mc_hash_reg[31:0];
        REG_MC_HASH_HI: rd_data = mc_hash_reg[63:32];
        REG_INT_THROTTLE: rd_data = {16'd0, throttle_reg};
        REG_MDIO_CMD: rd_data = ({31'd0, mdio_busy} << MDIO_CMD_BUSY_BIT) | ({30'd0, mdio_op_reg} << MDIO_CMD_OP_BIT)
            | ({27'd0, mdio_phy_reg} << MDIO_CMD_PHY_BIT) | ({27'd0, mdio_reg_reg} << MDIO_CMD_REG_BIT)
            | {16'd0, mdio_rdata};
        REG_MDIO_DIV: rd_data = {24'd0, mdio_div_reg};
        REG_DMA_ERR_ADDR_LO: rd_data = dma_err_addr_reg[31:0];
        REG_DMA_ERR_ADDR_HI: rd_data = dma_err_addr_reg[63:32];
        REG_DMA_ERR_INFO: rd_data = {24'd0, dma_err_info_reg};
        REG_TX_ERR_ADDR_LO: rd_data = tx_err_addr_reg[31:0];
        REG_TX_ERR_ADDR_HI: rd_data = tx_err_addr_reg[63:32];
        REG_TX_ERR_INFO: rd_data = ({31'd0, tx_err_write_reg} << TX_ERR_INFO_WRITE_BIT)
            | ({30'd0, tx_err_resp_reg} << TX_ERR_INFO_RESP_BIT)
            | ({30'd0, tx_err_cause_reg} << TX_ERR_INFO_CAUSE_BIT);
        REG_RX_ERR_ADDR_LO: rd_data = rx_err_addr_reg[31:0];
        REG_RX_ERR_ADDR_HI: rd_data = rx_err_addr_reg[63:32];
        REG_RX_ERR_INFO: rd_data = ({31'd0, rx_err_write_reg} << RX_ERR_INFO_WRITE_BIT)
            | ({30'd0, rx_err_resp_reg} << RX_ERR_INFO_RESP_BIT)
            | ({30'd0, rx_err_cause_reg} << RX_ERR_INFO_CAUSE_BIT);
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
        REG_STAT_RX_FRAMING: rd_data = stat_rx_framing_reg;
        REG_STAT_TX_BCAST: rd_data = stat_tx_bcast_reg;
        REG_STAT_TX_MCAST: rd_data = stat_tx_mcast_reg;
        REG_STAT_RX_BCAST: rd_data = stat_rx_bcast_reg;
        REG_STAT_RX_MCAST: rd_data = stat_rx_mcast_reg;
        REG_STAT_RX_FIFO_OVF: rd_data = stat_rx_fifo_ovf_reg;
        REG_STAT_DMA_ERR: rd_data = stat_dma_err_reg;
        REG_STAT_TX_NO_CARRIER: rd_data = stat_tx_no_carrier_reg;
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
