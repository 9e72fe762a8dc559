/* Emulator check of an int8 package: the int32 logits of every test tensor must equal the host
 * runtime's bit for bit (hp_s8_vectors.c, written by the host from the same int8 model). On a
 * Cortex-M4 the kernels take their DSP path (SMLAD) while the host took the portable one, so this
 * also checks that both paths agree on real instructions. Prints one summary line; exit code 0 iff
 * every logit matches. Built with -DHP_HOST_BUILD the same check runs on the host. */
#include <stdio.h>

#include "hp_app.h"
#include "hp_s8_vectors.h"

#ifdef HP_HOST_BUILD
static void initialise_monitor_handles(void) {}
#else
extern void initialise_monitor_handles(void);
#endif

int main(void)
{
    int32_t logits[HP_APP_OUTPUTS];
    float scores[HP_APP_OUTPUTS];
    int i, k, mismatches = 0;

    initialise_monitor_handles();
    if (HP_S8_TEST_OUTPUTS != HP_APP_OUTPUTS || HP_S8_TEST_INPUT_SIZE != HP_APP_INPUT_SIZE || hp_init() != 0) {
        printf("FAIL: test vectors were made for another model shape, or hp_init failed\n");
        return 2;
    }
    for (i = 0; i < HP_S8_TEST_FRAMES; i++) {
        if (hp_run_logits(hp_s8_test_tensors[i], logits) != 0 || hp_run(hp_s8_test_tensors[i], scores) != 0) {
            printf("frame %d: run failed\n", i);
            mismatches++;
            continue;
        }
        for (k = 0; k < HP_APP_OUTPUTS; k++) {
            if (logits[k] != hp_s8_test_logits[i][k]) {
                if (mismatches < 10)
                    printf("frame %d logit %d: %ld, host %ld\n", i, k, (long)logits[k], (long)hp_s8_test_logits[i][k]);
                mismatches++;
            }
        }
    }
    printf("%s: int8 %d frames, %d logits differ from the host\n", mismatches ? "FAIL" : "PASS", HP_S8_TEST_FRAMES,
           mismatches);
    return mismatches ? 1 : 0;
}
