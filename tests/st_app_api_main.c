/* X-CUBE-AI's embedded client API as `handposture deploy --target st-getting-started` generates
 * it, against Cube.AI's documented semantics: one instance, errors kept until read, init checks
 * its activations buffer, run checks its buffers and returns the batches processed, destroy
 * releases the instance. Built on the host by st_app_test.cpp with the generated files; prints
 * the scores of the input in[i] = (i % 7 - 3) / 3 for the test to compare with the host runtime. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "network.h"
#include "network_data.h"

static float activations[AI_NETWORK_DATA_ACTIVATIONS_SIZE / sizeof(float)];
static int failures;

#define CHECK(c)                                                \
    do {                                                        \
        if (!(c)) {                                             \
            printf("FAIL line %d: %s\n", __LINE__, #c);         \
            failures++;                                         \
        }                                                       \
    } while (0)

static ai_error_type last_error(ai_handle net)
{
    return (ai_error_type)ai_network_get_error(net).type;
}

int main(void)
{
    ai_handle net = AI_HANDLE_NULL, second = AI_HANDLE_NULL;
    float in[AI_NETWORK_IN_1_SIZE], out[AI_NETWORK_OUT_1_SIZE], again[AI_NETWORK_OUT_1_SIZE];
    ai_u16 n = 0;
    for (int i = 0; i < AI_NETWORK_IN_1_SIZE; i++) in[i] = (float)(i % 7 - 3) / 3.0f;

    CHECK(last_error(net) == AI_ERROR_INVALID_HANDLE);
    CHECK(ai_network_create(&net, AI_NETWORK_DATA_CONFIG).type == AI_ERROR_NONE && net != AI_HANDLE_NULL);
    CHECK(ai_network_create(&second, AI_NETWORK_DATA_CONFIG).type == AI_ERROR_CREATE_FAILED);
    CHECK(second == AI_HANDLE_NULL);

    ai_buffer *ai_in = ai_network_inputs_get(net, &n);
    CHECK(ai_in && n == AI_NETWORK_IN_NUM && ai_in[0].size == AI_NETWORK_IN_1_SIZE);
    CHECK(ai_in[0].format == AI_BUFFER_FORMAT_FLOAT && ai_in[0].shape.size == 4);
    CHECK(ai_in[0].shape.data[1] == AI_NETWORK_IN_1_CHANNEL && ai_in[0].shape.data[3] == AI_NETWORK_IN_1_HEIGHT);
    ai_buffer *ai_out = ai_network_outputs_get(net, &n);
    CHECK(ai_out && n == AI_NETWORK_OUT_NUM && ai_out[0].size == AI_NETWORK_OUT_1_SIZE);
    CHECK(ai_buffer_get_byte_size(ai_in[0].size, ai_in[0].format) == AI_NETWORK_IN_1_SIZE_BYTES);
    ai_in[0].data = AI_HANDLE_PTR(in);
    ai_out[0].data = AI_HANDLE_PTR(out);

    /* Not initialized yet: no run; the error is reported once. */
    CHECK(ai_network_run(net, ai_in, ai_out) == 0);
    CHECK(last_error(net) == AI_ERROR_INVALID_STATE);
    CHECK(last_error(net) == AI_ERROR_NONE);

    /* The activations buffer is the caller's: none, misaligned or too small is refused. */
    ai_network_params params;
    CHECK(ai_network_data_params_get(&params));
    CHECK(params.map_weights.size == 1 && params.map_weights.buffer[0].size == AI_NETWORK_DATA_WEIGHTS_SIZE);
    CHECK(params.map_activations.size == 1 && params.map_activations.buffer[0].size == AI_NETWORK_DATA_ACTIVATIONS_SIZE);
    CHECK(!ai_network_init(net, &params));
    CHECK(last_error(net) == AI_ERROR_INIT_FAILED);
    CHECK(AI_BUFFER_ARRAY_ITEM_SET_ADDRESS(&params.map_activations, 0, AI_HANDLE_PTR((char *)activations + 2)));
    CHECK(!ai_network_init(net, &params));
    CHECK(last_error(net) == AI_ERROR_INIT_FAILED);
    CHECK(AI_BUFFER_ARRAY_ITEM_SET_ADDRESS(&params.map_activations, 0, AI_HANDLE_PTR(activations)));
    params.map_activations.buffer[0].size = 4;
    CHECK(!ai_network_init(net, &params));
    CHECK(last_error(net) == AI_ERROR_INIT_FAILED);
    params.map_activations.buffer[0].size = AI_NETWORK_DATA_ACTIVATIONS_SIZE;
    CHECK(ai_network_init(net, &params));

    CHECK(ai_network_run(net, ai_in, ai_out) == 1);
    float sum = 0;
    for (int i = 0; i < AI_NETWORK_OUT_1_SIZE; i++) sum += out[i];
    CHECK(AI_NETWORK_OUT_1_SIZE == 1 || fabsf(sum - 1.0f) < 1e-5f);

    /* Bad buffers: no run, the error says which side. */
    ai_in[0].data = NULL;
    CHECK(ai_network_run(net, ai_in, ai_out) == 0);
    CHECK(last_error(net) == AI_ERROR_INVALID_INPUT);
    ai_in[0].data = AI_HANDLE_PTR(in);
    ai_out[0].data = NULL;
    CHECK(ai_network_run(net, ai_in, ai_out) == 0);
    CHECK(last_error(net) == AI_ERROR_INVALID_OUTPUT);
    ai_out[0].data = AI_HANDLE_PTR(out);

    ai_network_report report;
    CHECK(ai_network_get_report(net, &report));
    CHECK(strcmp(report.model_name, AI_NETWORK_MODEL_NAME) == 0 && report.n_macc > 0);
    CHECK(report.n_inputs == 1 && report.inputs[0].size == AI_NETWORK_IN_1_SIZE);
    CHECK(report.n_outputs == 1 && report.outputs[0].size == AI_NETWORK_OUT_1_SIZE);
    CHECK(report.map_activations.buffer[0].data == AI_HANDLE_PTR(activations));
    CHECK(report.map_weights.buffer[0].data == ai_network_data_weights_get());
    CHECK(!ai_network_get_report(AI_HANDLE_PTR(&report), &report));

    /* destroy releases the instance; the handle is then invalid and the instance can be made again. */
    CHECK(ai_network_destroy(net) == AI_HANDLE_NULL);
    CHECK(ai_network_run(net, ai_in, ai_out) == 0);
    CHECK(last_error(net) == AI_ERROR_INVALID_HANDLE);
    CHECK(ai_network_destroy(net) == net);
    const ai_handle acts[] = {AI_HANDLE_PTR(activations)};
    CHECK(ai_network_create_and_init(&net, acts, NULL).type == AI_ERROR_NONE);
    ai_out[0].data = AI_HANDLE_PTR(again);
    CHECK(ai_network_run(net, ai_in, ai_out) == 1);
    CHECK(memcmp(out, again, sizeof out) == 0);

    printf("scores");
    for (int i = 0; i < AI_NETWORK_OUT_1_SIZE; i++) printf(" %.9g", (double)out[i]);
    printf("\n%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures != 0;
}
