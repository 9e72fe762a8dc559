/* ST's own hand-posture application code path on a Cortex-M4 (QEMU): frames of public datalogs
 * go into ST's sensor result struct, then through app_network.c unmodified (Network_Init,
 * Network_Preprocess, Network_Inference, Network_Postprocess) with the network files of
 * `handposture deploy --target st-getting-started`. Prints per frame ST's frame validity, its
 * posture (label filter output) and the network's scores as float bits, for st_app_test.cpp
 * to check against the host runtime. st_frames.h is written by the test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"
#include "st_frames.h"

AppConfig_TypeDef App_Config;

/* newlib's semihosting stdio (rdimon); crt0 would call it, startup.c does not. */
extern void initialise_monitor_handles(void);

/* What ST's main.c and HAL provide on the board. */
uint32_t HAL_GetTick(void)
{
    return 0;
}

void Error_Handler(void)
{
    exit(2);
}

static unsigned long float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (unsigned long)u;
}

int main(void)
{
    initialise_monitor_handles();
    Network_Init(&App_Config);
    for (int f = 0; f < ST_FRAMES; f++) {
        for (int z = 0; z < ST_ZONES; z++) {
            App_Config.RangingData.distance_mm[z] = st_distance_mm[f][z];
            App_Config.RangingData.signal_per_spad[z] = st_signal_per_spad[f][z];
            App_Config.RangingData.target_status[z] = st_target_status[f][z];
            App_Config.RangingData.nb_target_detected[z] = st_nb_targets[f][z];
        }
        App_Config.new_data_received = true;
        Network_Preprocess(&App_Config);
        Network_Inference(&App_Config);
        Network_Postprocess(&App_Config);
        printf("frame %d valid %d posture %d scores", f, (int)App_Config.AI_Data.is_valid_frame,
               (int)App_Config.AI_Data.handposture_label);
        for (int i = 0; i < AI_NETWORK_OUT_1_SIZE; i++) printf(" %08lx", float_bits(App_Config.aiOutData[i]));
        printf("\n");
    }
    printf("done %d\n", ST_FRAMES);
    return 0;
}
