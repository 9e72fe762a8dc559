/* Images for measuring a package's flash and RAM: built once with HP_SIZE_WITH_PACKAGE (calls
 * hp_init, hp_run and hp_process_frame, so --gc-sections keeps exactly what an application
 * needs) and once without; the difference of the two images is the package. The caller's own
 * buffers (frame, result, input, scores) are in both images, so they are not counted. No I/O. */
#include "hp_app.h"

static hp_frame frame;
static hp_result result;
static float input[HP_APP_INPUT_SIZE];
static float scores[HP_APP_OUTPUTS];

int main(void)
{
#ifdef HP_SIZE_WITH_PACKAGE
    int status = hp_init();
    status |= hp_run(input, scores);
    status |= hp_process_frame(&frame, &result);
    return status | result.filtered_class;
#else
    /* Keep the same buffers alive without calling the package. */
    void *volatile keep[4];
    keep[0] = &frame;
    keep[1] = &result;
    keep[2] = input;
    keep[3] = scores;
    return keep[0] == keep[1];
#endif
}
