/* k x k convolution of int16 activations with int8 weights held as int16 (hp_kernels_s8.h),
 * optionally max-pooled 2x2 on its accumulators. Output pixels go in pairs (the two top and the
 * two bottom windows of a pooling, else consecutive pixels): the two windows' k * k * C values are
 * gathered into one patch (0 outside the input: the zero point of q - zero point), interleaved
 * four values at a time, and one pass over a pair of filters' weights multiplies both windows. On
 * the Cortex-M4/M7 a step is one LDM of four input words (two, four values, of each window), one
 * LDM of the two filters' four weight words (the weights widened to int16 when the layout was
 * derived, so no unpacking) and eight SMLAD: 10 instructions for 16 multiply-adds, each weight
 * load serving both windows. A pooling's four windows go through hp_conv2d_s8_maxpool
 * (conv2d_maxpool_s8.c), which pools and requantizes in registers. */
#include <string.h>

#include "conv2d_s8_asm.h"
#include "hp_kernels_s8.h"

/* Tells GCC/Clang a pointer is 4-byte aligned (checked by the caller): word copies without
 * the unaligned-access sequences. */
#if defined(__GNUC__)
#define ALIGNED4(p) __builtin_assume_aligned((p), 4)
#else
#define ALIGNED4(p) (p)
#endif

/* Inlined at every optimization level (-Os too): the 3x3 two-channel gathering's store offsets
 * are then constants. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* The patch of a pair: for each group of four taps (g), window 0's four values then window
 * 1's, so patch index of window w's value i is (i / 4) * 8 + 4 w + i % 4. */
static int slot(int i) { return ((i >> 2) << 3) + (i & 3); }

/* Values one by one (C odd): n values of a window row (from `from`, or zeros if NULL) to the
 * window's values at..at + n - 1 in the patch `to` (window 1: `to` + 4). */
static void put_values(const int16_t *from, int at, int n, int16_t *to)
{
    int i;
    for (i = 0; i < n; i++) to[slot(at + i)] = from != NULL ? from[i] : 0;
}

/* One 32-bit word (a pair of values) read or written; memcpy keeps the types apart, the
 * compiler makes it one LDR or STR. */
static uint32_t load(const char *p)
{
    uint32_t w;
    memcpy(&w, ALIGNED4(p), 4);
    return w;
}

static void store(char *p, uint32_t w) { memcpy(ALIGNED4(p), &w, 4); }

/* n words (n even) from `from` to the window halves of consecutive groups from d (16 bytes a
 * group, the window's two words first). */
static void copy_halves(const char *from, int n, char *d)
{
    for (; n >= 4; n -= 4, from += 16, d += 32) {
        const uint32_t a = load(from), b = load(from + 4), c = load(from + 8), e = load(from + 12);
        store(d, a);
        store(d + 4, b);
        store(d + 16, c);
        store(d + 20, e);
    }
    if (n > 0) {
        const uint32_t a = load(from), b = load(from + 4);
        store(d, a);
        store(d + 4, b);
    }
}

/* The same with zeros. */
static void zero_halves(int n, char *d)
{
    for (; n > 0; n -= 2, d += 16) {
        store(d, 0);
        store(d + 4, 0);
    }
}

/* Words (C even: every run of a window row is whole channel pairs): n words from `from` (zeros
 * if NULL) to the window's words at..at + n - 1, word j of a window being patch word
 * (j / 2) * 4 + j % 2 (window 1: `to` + 2 words). */
static void put_words(const int16_t *from, int at, int n, int16_t *to)
{
    const char *f = (const char *)from;
    char *t = (char *)to + 16 * (at >> 1);
    if (n <= 0) return;
    if ((at & 1) != 0) { /* the second word of a group first */
        store(t + 4, f != NULL ? load(f) : 0);
        f = f != NULL ? f + 4 : NULL;
        t += 16;
        n--;
    }
    if (f == NULL)
        zero_halves(n & ~1, t);
    else
        copy_halves(f, n & ~1, t);
    if ((n & 1) != 0) store(t + 8 * (n & ~1), f != NULL ? load(f + 4 * (n & ~1)) : 0);
}

/* Window w (0, 1) of the patch (`patch` + 4 w) = the k x k x C window whose top-left input pixel
 * is (y, x), row by row: a window row is k C consecutive input values, less the columns outside
 * the input (zeros). In words (pairs of values) when C is even, values otherwise. */
static void gather(const int16_t *input, int height, int width, int channels, int k, int y, int x, int16_t *patch)
{
    const int left = x < 0 ? -x : 0, right = x + k > width ? x + k - width : 0;
    const int even = (channels & 1) == 0, unit = even ? channels / 2 : channels, row = k * unit;
    void (*const put)(const int16_t *, int, int, int16_t *) = even ? put_words : put_values;
    int ky, at;
    for (ky = 0, at = 0; ky < k; ky++, at += row) {
        const int yy = y + ky;
        if (yy < 0 || yy >= height) {
            put(NULL, at, row, patch);
            continue;
        }
        if (left > 0) put(NULL, at, left * unit, patch);
        put(input + ((long)yy * width + x + left) * channels, at + left * unit, (k - left - right) * unit, patch);
        if (right > 0) put(NULL, at + (k - right) * unit, right * unit, patch);
    }
}

/* Both windows of a pair side by side, (y, x) and (y, x + 1), C a multiple of 4 (`wpp` words a
 * pixel, even: a window row is whole groups): one pass over `rows` window rows (k, or k + 1 for
 * both pairs of a pooling, see hp_conv2d_s8), window 1's words those of window 0 shifted by one
 * pixel. A word of window w comes from the input when its row and column are inside (columns
 * lo[w] to hi[w] - 1 of the row's k wpp words), else it is 0; each copy writes two words of both
 * windows (a group's half). */
static void gather_pair_words(const int16_t *input, int height, int width, int wpp, int k, int rows, int y, int x,
                              int16_t *patch)
{
    const int row = k * wpp;
    const int lo0 = x < 0 ? -x * wpp : 0, hi0 = (x + k > width ? width - x : k) * wpp;
    const int lo1 = x + 1 < 0 ? (-x - 1) * wpp : 0, hi1 = (x + 1 + k > width ? width - x - 1 : k) * wpp;
    const char *in = (const char *)input;
    char *d = (char *)patch;
    long at = ((long)y * width + x) * wpp; /* word of window 0's row start (outside rows: unused) */
    int ky;
    for (ky = 0; ky < rows; ky++, at += (long)width * wpp, d += 8 * row) {
        if (y + ky < 0 || y + ky >= height) {
            zero_halves(row, d);
            zero_halves(row, d + 8);
            continue;
        }
        zero_halves(lo0, d); /* each window's row: zeros, the input's words, zeros */
        copy_halves(in + 4 * (at + lo0), hi0 - lo0, d + 8 * lo0);
        zero_halves(row - hi0, d + 8 * hi0);
        zero_halves(lo1, d + 8);
        copy_halves(in + 4 * (at + wpp + lo1), hi1 - lo1, d + 8 + 8 * lo1);
        zero_halves(row - hi1, d + 8 + 8 * hi1);
    }
}

/* Arm (Thumb-2) code only: a host that defines __ARM_FEATURE_DSP cannot assemble the asm. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && defined(__thumb2__)
/* hp_conv2d_s8_pair (hp_kernels_s8.h): one pass over the patch per pair of filters, twelve steps
 * a loop round (the first round enters at the step that leaves a whole number of rounds: a step is
 * ten 32-bit instructions, 40 bytes). A step: LDM of four input words (two value pairs of each
 * window), LDM of the two filters' four weight words, eight SMLAD. A pass takes all 14
 * registers (accumulators r3-r6, inputs r7-r10, weights r1 r11 r12 lr, patch r0, kernel r2), so
 * the rest is a frame on the stack:
 *   [sp] patch, patch end, bias, acc, acc[1] - acc in bytes, kernel end, loop entry, mode
 * A round ends when the patch pointer reaches the patch's end, a pass when the kernel pointer
 * (which walks the pairs of filters in order) reaches the kernel's end. A pass ends by storing its
 * four accumulators (mode 0) or the max of the two windows' (mode 1), with the stored one (mode
 * 2): CMP and a conditional MOV each. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
__attribute__((naked)) void hp_conv2d_s8_pair(const int16_t *patch, int groups, const int16_t *kernel,
                                              const int32_t *bias, int filters, int32_t *acc, int mode)
{
    __asm__(
        ".p2align 2\n\t" /* a word-aligned section: the ADR below is resolved before linking */
        "push {r4-r11, lr}\n\t"
        "ldrd r5, r4, [sp, #36]\n\t" /* filters, acc */
        "ldr r8, [sp, #44]\n\t" /* mode */
        "adds r6, r5, #1\n\t"
        "lsrs r6, r6, #1\n\t" /* pairs of filters */
        "mul r6, r6, r1\n\t"
        "add r6, r2, r6, lsl #4\n\t" /* the kernel's end: 16 bytes a group and pair */
        "adds r5, r5, #3\n\t"
        "bic r5, r5, #3\n\t"
        "lsls r5, r5, #2\n\t" /* acc[1] - acc: 4 round4(filters) bytes */
        "adds r7, r1, #11\n\t"
        "movs r9, #12\n\t"
        "udiv r7, r7, r9\n\t" /* rounds: ceil(groups / 12) */
        "mul r7, r7, r9\n\t"
        "subs r7, r7, r1\n\t" /* steps skipped: 12 rounds - groups */
        "movs r9, #40\n\t" /* 40 bytes each */
        "adr r10, 4f + 1\n\t" /* + 1: Thumb state for LDR pc */
        "mla r7, r7, r9, r10\n\t" /* the loop's entry */
        "add r1, r0, r1, lsl #4\n\t" /* the patch's end */
        "push {r0, r1, r3-r8}\n"
        "3:\n\t" /* a pair of filters: the accumulators from their biases */
        "ldr r0, [sp, #8]\n\t"
        "ldrd r3, r4, [r0], #8\n\t"
        "str r0, [sp, #8]\n\t"
        "mov r5, r3\n\t"
        "mov r6, r4\n\t"
        "ldr r0, [sp]\n\t"
        "ldr pc, [sp, #24]\n"
        "4:\n\t" HP_S8_ROUND
        "ldr r1, [sp, #4]\n\t"
        "cmp r0, r1\n\t"
        "bne 4b\n\t"
        "ldrd r0, r1, [sp, #12]\n\t" /* acc, acc[1] - acc */
        "ldr r7, [sp, #28]\n\t"
        "cbz r7, 1f\n\t"
        HP_S8_MAX("r3", "r5") HP_S8_MAX("r4", "r6")
        "cmp r7, #1\n\t"
        "beq 2f\n\t"
        "ldrd r5, r6, [r0]\n\t"
        HP_S8_MAX("r3", "r5") HP_S8_MAX("r4", "r6")
        "b 2f\n"
        "1:\n\t"
        "add r1, r1, r0\n\t"
        "strd r5, r6, [r1]\n"
        "2:\n\t"
        "strd r3, r4, [r0], #8\n\t"
        "str r0, [sp, #12]\n\t"
        "ldr r1, [sp, #20]\n\t"
        "cmp r2, r1\n\t"
        "bne 3b\n\t"
        "add sp, sp, #32\n\t"
        "pop {r4-r11, pc}");
}
#pragma GCC diagnostic pop

#else
/* The same integers in C: filter f's weights for group g are kernel[(f / 2) 8 groups + 8 g +
 * 4 (f % 2)] (hp_kernels_s8.h). */
void hp_conv2d_s8_pair(const int16_t *patch, int groups, const int16_t *kernel, const int32_t *bias, int filters,
                       int32_t *acc, int mode)
{
    const int f4 = hp_round4(filters), f2 = (filters + 1) & ~1;
    int f, g;
    for (f = 0; f < f2; f++) {
        const int16_t *w = kernel + (long)(f >> 1) * 8 * groups + 4 * (f & 1);
        const int16_t *x = patch;
        int32_t a = bias[f], b = bias[f];
        for (g = 0; g < groups; g++, w += 8, x += 8) {
            a += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
            b += w[0] * x[4] + w[1] * x[5] + w[2] * x[6] + w[3] * x[7];
        }
        if (mode == 0) {
            acc[f] = a;
            acc[f4 + f] = b;
            continue;
        }
        if (b > a) a = b;
        if (mode == 2 && acc[f] > a) a = acc[f];
        acc[f] = a;
    }
}
#endif

/* One window row of both windows of a pair, 3x3 on two channels (one word a pixel): u0..u3 the
 * row's four pixels (x .. x + 3), window 0 taking u0 u1 u2, window 1 u1 u2 u3, as words j = 3 r
 * .. 3 r + 2 of each window (patch word (j / 2) 4 + j % 2, window 1 two words later). */
static ALWAYS_INLINE void row_c2_k3(char *p, int r, uint32_t u0, uint32_t u1, uint32_t u2, uint32_t u3)
{
#define AT(j, w) (16 * ((j) >> 1) + 4 * ((j)&1) + 8 * (w))
    store(p + AT(3 * r, 0), u0);
    store(p + AT(3 * r + 1, 0), u1);
    store(p + AT(3 * r + 2, 0), u2);
    store(p + AT(3 * r, 1), u1);
    store(p + AT(3 * r + 1, 1), u2);
    store(p + AT(3 * r + 2, 1), u3);
#undef AT
}

/* Row r of both windows of a pair (y, x), (y, x + 1), 3x3 on two channels: the input row's four
 * words x .. x + 3, each 0 outside the input; `whole`: all four columns inside. */
static ALWAYS_INLINE void gather_row_c2_k3(const char *in, int height, int width, int y, int x, int whole, int r,
                                           char *p)
{
    const int yy = y + r;
    const char *row;
    if (yy < 0 || yy >= height) {
        row_c2_k3(p, r, 0, 0, 0, 0);
        return;
    }
    row = in + 4 * (long)yy * width;
    if (whole) {
        row_c2_k3(p, r, load(row + 4 * x), load(row + 4 * x + 4), load(row + 4 * x + 8), load(row + 4 * x + 12));
        return;
    }
    row_c2_k3(p, r, x >= 0 ? load(row + 4 * x) : 0, x + 1 < width ? load(row + 4 * (x + 1)) : 0,
              x + 2 < width ? load(row + 4 * (x + 2)) : 0, x + 3 < width ? load(row + 4 * (x + 3)) : 0);
}

/* Both windows of a pair (y, x), (y, x + 1), 3x3 on two channels, the common first layer of a
 * time-of-flight network (8 x 8 zones, distance and signal): each input row's four words are
 * read once for both windows, 0 outside the input (x >= -1, x + 1 < width: padding at most 1). */
static void gather_pair_c2_k3(const int16_t *input, int height, int width, int y, int x, int16_t *patch)
{
    const char *in = (const char *)input;
    const int whole = x >= 0 && x + 3 < width;
    gather_row_c2_k3(in, height, width, y, x, whole, 0, (char *)patch);
    gather_row_c2_k3(in, height, width, y, x, whole, 1, (char *)patch);
    gather_row_c2_k3(in, height, width, y, x, whole, 2, (char *)patch);
}

/* The windows at (y0, x0) and (y1, x1) into a pair's patch. */
static void gather_two(const int16_t *input, int height, int width, int channels, int k, const int *yx,
                       int16_t *patch)
{
    const int beside = yx[2] == yx[0] && yx[3] == yx[1] + 1;
    if ((channels & 3) == 0 && beside) {
        gather_pair_words(input, height, width, channels / 2, k, k, yx[0], yx[1], patch);
    } else if (channels == 2 && k == 3 && beside) {
        gather_pair_c2_k3(input, height, width, yx[0], yx[1], patch);
    } else {
        gather(input, height, width, channels, k, yx[0], yx[1], patch);
        gather(input, height, width, channels, k, yx[2], yx[3], patch + 4);
    }
}

/* A pooling's four windows, the top pair's patch and the bottom pair's, to its output pixel:
 * hp_conv2d_s8_maxpool for an even filter count (two outputs a word), else the max through acc. */
static void pool_four(const int16_t *top, const int16_t *bottom, int groups, const int16_t *kernel, const int32_t *bias,
                      const int32_t *multiplier, int filters, int out_min, int out_max, int16_t *output, int32_t *acc)
{
    if ((filters & 1) == 0) {
        hp_conv2d_s8_maxpool(top, bottom, groups, kernel, bias, multiplier, filters, out_min, out_max, output);
        return;
    }
    hp_conv2d_s8_pair(top, groups, kernel, bias, filters, acc, 1);
    hp_conv2d_s8_pair(bottom, groups, kernel, bias, filters, acc, 2);
    hp_requantize_s8(acc, filters, multiplier, out_min, out_max, output);
}

/* The padding of a pair's patch to whole groups: zeros, written once. */
static void pad_patch(int16_t *patch, int taps)
{
    int i;
    for (i = taps; i < hp_round4(taps); i++) patch[slot(i)] = patch[slot(i) + 4] = 0;
}

void hp_conv2d_s8(const int16_t *input, int height, int width, int channels, int kernel_size, int padding,
                  const int16_t *kernel, const int32_t *bias, const int32_t *multiplier, int filters, int out_min,
                  int out_max, int pool, int16_t *output, int16_t *patch, int32_t *acc)
{
    const int conv_h = height + 2 * padding - kernel_size + 1, conv_w = width + 2 * padding - kernel_size + 1;
    const int taps = kernel_size * kernel_size * channels, f4 = hp_round4(filters), groups = hp_round4(taps) / 4;
    int i, yx[4];
    pad_patch(patch, taps);
    if (pool) {
        /* With C a multiple of 4 a window row is whole groups: the top pair's rows 1 .. k - 1 are
         * the bottom pair's 0 .. k - 2, so one gathering of k + 1 rows serves both (the bottom
         * pair's patch starts one window row, 2 k C values, later). Else the bottom pair has its
         * own patch after the top pair's. */
        const int out_w = conv_w / 2, out_n = (conv_h / 2) * out_w, tall = hp_conv2d_s8_tall(channels);
        int16_t *const bottom = tall ? patch + 2 * kernel_size * channels : patch + 8 * groups;
        if (!tall) pad_patch(bottom, taps);
        for (i = 0; i < out_n; i++, output += filters) {
            yx[0] = yx[2] = 2 * (i / out_w) - padding;
            yx[1] = 2 * (i % out_w) - padding;
            yx[3] = yx[1] + 1;
            if (tall) {
                gather_pair_words(input, height, width, channels / 2, kernel_size, kernel_size + 1, yx[0], yx[1],
                                  patch);
            } else {
                gather_two(input, height, width, channels, kernel_size, yx, patch);
                yx[0] = yx[2] = yx[0] + 1;
                gather_two(input, height, width, channels, kernel_size, yx, bottom);
            }
            pool_four(patch, bottom, groups, kernel, bias, multiplier, filters, out_min, out_max, output, acc);
        }
        return;
    }
    for (i = 0; i < conv_h * conv_w; i += 2) {
        const int j = i + 1 < conv_h * conv_w ? i + 1 : i; /* an odd last pixel: twice */
        yx[0] = i / conv_w - padding;
        yx[1] = i % conv_w - padding;
        yx[2] = j / conv_w - padding;
        yx[3] = j % conv_w - padding;
        gather_two(input, height, width, channels, kernel_size, yx, patch);
        hp_conv2d_s8_pair(patch, groups, kernel, bias, filters, acc, 0);
        hp_requantize_s8(acc, filters, multiplier, out_min, out_max, output + (long)i * filters);
        if (j != i) hp_requantize_s8(acc + f4, filters, multiplier, out_min, out_max, output + (long)j * filters);
    }
}
