/* Measurement run for `handposture bench`: one hp_run on a fixed frame, with the stack painted
 * before it so the deepest stack use can be read afterwards, then the same for hp_process_frame.
 * The emulator's instruction trace is counted between hp_run's entry and its return to main. */
#include <stdint.h>
#include <stdio.h>

#include "hp_app.h"
#include "hp_preprocess.h"

#define PAINT 0xA5A5A5A5u

extern void initialise_monitor_handles(void);
extern uint32_t __stack_limit;

/* The stack pointer of the calling function. */
#define CURRENT_SP(sp) __asm__ volatile("mov %0, sp" : "=r"(sp))

/* Fills the free stack below this function's frame with PAINT. */
__attribute__((noinline)) static void paint_stack(void)
{
    volatile uint32_t marker = 0;
    uint32_t *p = &__stack_limit;
    uint32_t *top = (uint32_t *)((uintptr_t)&marker - 64); /* keep clear of this frame */
    while (p < top) *p++ = PAINT;
}

/* Bytes of stack used below `sp` (the caller's stack pointer at the call) since paint_stack. */
static unsigned stack_used_below(uintptr_t sp)
{
    const uint32_t *p = &__stack_limit;
    while (*p == PAINT) p++;
    return (unsigned)(sp - (uintptr_t)p);
}

/* A hand about 20 cm away over a far background: every code path of a valid frame runs. */
static void synthetic_frame(hp_frame *f)
{
    int row, col;
    for (row = 0; row < HP_APP_HEIGHT; row++) {
        for (col = 0; col < HP_APP_WIDTH; col++) {
            int z = row * HP_APP_WIDTH + col;
            int hand = row >= 1 && row <= HP_APP_HEIGHT - 2 && col >= 2 && col <= HP_APP_WIDTH - 3;
            f->distance_mm[z] = hand ? 200.0f + 7.0f * (float)((row * 3 + col) % 5) : 900.0f;
            f->signal_per_spad[z] = hand ? 900.0f - 40.0f * (float)row : 30.0f;
            f->target_status[z] = (z % 11 == 0) ? 4.0f : 5.0f;
            f->nb_targets[z] = 1.0f;
        }
    }
}

int main(void)
{
    static hp_frame frame;
    static hp_result result;
    static float input[HP_APP_INPUT_SIZE];
    static float scores[HP_APP_OUTPUTS];
    static const hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;
    uintptr_t sp;
    unsigned run_stack, frame_stack;

    initialise_monitor_handles();
    if (hp_init() != 0) return 2;
    synthetic_frame(&frame);
    if (hp_preprocess_frame(&preprocess, HP_APP_ZONES, frame.distance_mm, frame.signal_per_spad,
                            frame.target_status, frame.nb_targets, input) != HP_FRAME_KEPT)
        return 2;

    paint_stack();
    CURRENT_SP(sp);
    if (hp_run(input, scores) != 0) return 2; /* the call the instruction count is taken of */
    run_stack = stack_used_below(sp);

    paint_stack();
    CURRENT_SP(sp);
    if (hp_process_frame(&frame, &result) != 0) return 2;
    frame_stack = stack_used_below(sp);

    printf("bench: stack hp_run %u hp_process_frame %u valid %d raw %d score0 %.6f\n", run_stack,
           frame_stack, result.valid, result.raw_class, (double)scores[0]);
    return 0;
}
