/* Build options of the runtime, for a deploy package's model.
 *
 * This default turns none on: every code path is built, for any model (host tools, tests, any
 * build of runtime/). `handposture deploy` writes a package's own hp_config.h instead, turning on
 * what its model allows, to leave out code that model never runs (flash):
 *   HP_CONFIG_NO_SIGMOID     the model has a softmax output (3 classes or more): hp_model_*_run
 *                            leave out the sigmoid of 2-class models;
 *   HP_CONFIG_S8_ASM_SHAPES  the int8 model's input is 8 pixels wide with 2 channels and its conv
 *                            has an even number of filters: on a Cortex-M4/M7 the asm of the int8
 *                            conv and input quantization takes every call, so their portable
 *                            fallbacks (and the shape checks leading to them) are left out;
 *   HP_CONFIG_PIPELINE_NETWORK  the package's one network function, int f(const float *input,
 *                            float *scores) (hp_run): hp_pipeline_frame calls it directly, and
 *                            hp_pipeline has no network callback or context (hp_pipeline.h). */
#ifndef HP_CONFIG_H
#define HP_CONFIG_H
#endif
