/* The DSP instructions of the Cortex-M4/M7 int8 path (internal to the runtime).
 *
 * SMLAD multiplies two pairs of int16 and adds both products to an int32 in one instruction;
 * SXTB16 sign-extends bytes 0 and 2 of a word to such a pair. Activations are int16 already, so
 * a 32-bit load is one pair; int8 dense weights are widened by SXTB16 of a word (bytes 0, 2)
 * and of the word rotated by 8 (bytes 1, 3).
 *
 * Tests compile the kernels on the host with a plain-C emulation of the intrinsics
 * (HP_ACLE_EMULATION) to check this path against the portable one. */
#ifndef HP_S8_DSP_H
#define HP_S8_DSP_H

#if defined(__ARM_FEATURE_DSP)

#include <stdint.h>
#include <string.h>
#if !defined(HP_ACLE_EMULATION)
#include <arm_acle.h>
#endif

/* The 32-bit word at p (unaligned loads are fine on Cortex-M4/M7). */
static inline int32_t hp_word(const void *p)
{
    int32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* SXTB16 of a word rotated right by 8: bytes 1 and 3 as an int16 pair. GCC does not fold the
 * rotation into the instruction by itself (CMSIS-NN's __SXTB16_RORn does the same). */
static inline int32_t hp_sxtb16_ror8(int32_t w)
{
#if defined(HP_ACLE_EMULATION) || !defined(__GNUC__)
    return __sxtb16((int32_t)(((uint32_t)w >> 8) | ((uint32_t)w << 24)));
#else
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
#endif
}

#endif
#endif
