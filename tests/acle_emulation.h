/* Test only: the ACLE DSP intrinsics the int8 kernels use, in plain C, so the host can compile
 * the kernels' Cortex-M4/M7 path (define HP_ACLE_EMULATION and __ARM_FEATURE_DSP, then include
 * the kernel sources) and check it against the portable path. Semantics from the Armv7-M
 * Architecture Reference Manual: SXTB16 sign-extends bytes 0 and 2 to two halfwords (SXTAB16
 * adds them to the halfwords of another register); SMLAD
 * adds the two signed halfword products to the accumulator (wrapping on overflow). */
#ifndef HP_ACLE_EMULATION_H
#define HP_ACLE_EMULATION_H

#include <stdint.h>

#define HP_ACLE_EMULATION 1

static inline int32_t __sxtb16(int32_t x)
{
    uint32_t u = (uint32_t)x;
    uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(u & 0xffu);
    uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)((u >> 16) & 0xffu);
    return (int32_t)(lo | (hi << 16));
}

/* SXTAB16: each halfword of a plus the sign-extended byte 0 / byte 2 of b (wrapping). */
static inline int32_t __sxtab16(int32_t a, int32_t b)
{
    uint32_t ua = (uint32_t)a, e = (uint32_t)__sxtb16(b);
    uint32_t lo = ((ua & 0xffffu) + (e & 0xffffu)) & 0xffffu;
    uint32_t hi = ((ua >> 16) + (e >> 16)) & 0xffffu;
    return (int32_t)(lo | (hi << 16));
}

static inline int32_t __smlad(int32_t a, int32_t b, int32_t accumulator)
{
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    int32_t a_lo = (int16_t)(ua & 0xffffu), a_hi = (int16_t)(ua >> 16);
    int32_t b_lo = (int16_t)(ub & 0xffffu), b_hi = (int16_t)(ub >> 16);
    return (int32_t)((uint32_t)accumulator + (uint32_t)(a_lo * b_lo) + (uint32_t)(a_hi * b_hi));
}

#endif
