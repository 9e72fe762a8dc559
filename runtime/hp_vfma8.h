/* For the float kernels' Cortex-M4F/M7 asm (internal to the runtime): eight fused multiply-adds
 * of one input register with the eight weights in s16-s23, into the accumulators s0-s7 or
 * s8-s15 (the register plan both conv2d_3x3_relu_maxpool2x2_f32.c and dense_f32.c use). */
#ifndef HP_VFMA8_H
#define HP_VFMA8_H

#define HP_VFMA8_INTO_S0_S7(x)                                                                    \
    "vfma.f32 s0, " x ", s16\n\t"                                                                  \
    "vfma.f32 s1, " x ", s17\n\t"                                                                  \
    "vfma.f32 s2, " x ", s18\n\t"                                                                  \
    "vfma.f32 s3, " x ", s19\n\t"                                                                  \
    "vfma.f32 s4, " x ", s20\n\t"                                                                  \
    "vfma.f32 s5, " x ", s21\n\t"                                                                  \
    "vfma.f32 s6, " x ", s22\n\t"                                                                  \
    "vfma.f32 s7, " x ", s23\n\t"

#define HP_VFMA8_INTO_S8_S15(x)                                                                   \
    "vfma.f32 s8, " x ", s16\n\t"                                                                  \
    "vfma.f32 s9, " x ", s17\n\t"                                                                  \
    "vfma.f32 s10, " x ", s18\n\t"                                                                 \
    "vfma.f32 s11, " x ", s19\n\t"                                                                 \
    "vfma.f32 s12, " x ", s20\n\t"                                                                 \
    "vfma.f32 s13, " x ", s21\n\t"                                                                 \
    "vfma.f32 s14, " x ", s22\n\t"                                                                 \
    "vfma.f32 s15, " x ", s23\n\t"

#endif
