/* Emulator check of a generated package: every test frame goes through hp_process_frame (raw
 * zones in) and its host tensor through hp_run; scores must match the host runtime within
 * HP_TOLERANCE and raw/filtered classes exactly. Prints one summary line; exit code 0 iff all
 * match. Test vectors: hp_test_vectors.c written by `handposture deploy --test-vectors`.
 * Built with -DHP_HOST_BUILD the same check runs on the host. */
#include <math.h>
#include <stdio.h>

#include "hp_app.h"
#include "hp_test_vectors.h"

#ifndef HP_TOLERANCE
#define HP_TOLERANCE 1e-5f
#endif

#ifdef HP_HOST_BUILD
/* The same check compiled for the host: stdio needs no semihosting there. */
static void initialise_monitor_handles(void) {}
#else
extern void initialise_monitor_handles(void);
#endif

static int mismatches;

static void check_scores(int frame, const char *what, const float *got, const float *expected)
{
    int k;
    for (k = 0; k < HP_APP_OUTPUTS; k++) {
        if (!(fabsf(got[k] - expected[k]) <= HP_TOLERANCE)) {
            if (mismatches < 10)
                printf("frame %d %s score %d: %.9g, host %.9g\n", frame, what, k, (double)got[k], (double)expected[k]);
            mismatches++;
        }
    }
}

static void check_int(int frame, const char *what, int got, int expected)
{
    if (got != expected) {
        if (mismatches < 10) printf("frame %d %s: %d, host %d\n", frame, what, got, expected);
        mismatches++;
    }
}

int main(void)
{
    static hp_frame zones;
    static const float zero_scores[HP_APP_OUTPUTS];
    float scores[HP_APP_OUTPUTS];
    hp_result result;
    int i, z, valid_frames = 0;
    float max_error = 0.0f;

    initialise_monitor_handles();
    if (HP_TEST_OUTPUTS != HP_APP_OUTPUTS || HP_TEST_ZONES != HP_APP_ZONES) {
        printf("FAIL: test vectors were made for another model shape\n");
        return 2;
    }
    if (hp_init() != 0) {
        printf("FAIL: hp_init\n");
        return 2;
    }
    for (i = 0; i < HP_TEST_FRAMES; i++) {
        const hp_test_frame *t = &hp_test_frames[i];
        for (z = 0; z < HP_APP_ZONES; z++) {
            zones.distance_mm[z] = t->distance_mm[z];
            zones.signal_per_spad[z] = t->signal_per_spad[z];
            zones.target_status[z] = (float)t->target_status[z];
            zones.nb_targets[z] = (float)t->nb_targets[z];
        }
        if (hp_process_frame(&zones, &result) != 0) {
            printf("frame %d: hp_process_frame failed\n", i);
            mismatches++;
            continue;
        }
        check_int(i, "valid", result.valid, t->valid);
        check_scores(i, "hp_process_frame", result.scores, t->valid ? t->scores : zero_scores);
        check_int(i, "raw class", result.raw_class, t->raw_class);
        check_int(i, "filtered class", result.filtered_class, t->filtered_class);
        valid_frames += t->valid;

        if (hp_run(t->tensor, scores) != 0) {
            printf("frame %d: hp_run failed\n", i);
            mismatches++;
            continue;
        }
        check_scores(i, "hp_run", scores, t->scores);
        for (z = 0; z < HP_APP_OUTPUTS; z++)
            if (fabsf(scores[z] - t->scores[z]) > max_error) max_error = fabsf(scores[z] - t->scores[z]);
    }
    printf("%s: %d frames (%d valid), %d mismatches, max score error %.3g (tolerance %.0e)\n",
           mismatches ? "FAIL" : "PASS", HP_TEST_FRAMES, valid_frames, mismatches, (double)max_error,
           (double)HP_TOLERANCE);
    return mismatches ? 1 : 0;
}
