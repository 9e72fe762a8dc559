/* Minimal startup for a Cortex-M under QEMU: vector table, copy .data, zero .bss, turn the FPU
 * on when the build uses it, call main, hand its return code to exit() (with rdimon.specs that
 * ends QEMU through semihosting). Builds for ARMv6-M (Cortex-M0/M0+) and ARMv7E-M (M4F). */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((section(".vectors"), used)) void (*const vector_table[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};

/* newlib's exit() runs the fini arrays and calls _fini; without crt0 nothing else needs them. */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

/* A fault ends the run with a distinct code instead of hanging the emulator. */
void Fault_Handler(void)
{
    exit(3);
}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to coprocessors 10 and 11 (the FPU). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb");
#endif
    exit(main());
}
