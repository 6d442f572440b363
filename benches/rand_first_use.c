/* What the first random number costs a process with aws-lc, the cryptography under the
 * functions' TLS: the first RAND_bytes seeds aws-lc's generator (with CPU jitter entropy,
 * unless aws-lc-sys was built with AWS_LC_SYS_NO_JITTER_ENTROPY=1), the next ones do not.
 * Every cold start pays the first, at its first TLS handshake to AWS.
 *
 * Built against the aws-lc that cargo built (see README, Performance):
 *   cc -O2 benches/rand_first_use.c <target>/release/build/aws-lc-sys-HASH/out/libaws_lc_0_47_0_crypto.a \
 *      -lpthread -o /tmp/rand_first_use && /tmp/rand_first_use
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int aws_lc_0_47_0_RAND_bytes(uint8_t *buf, size_t len);

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
    uint8_t buf[32];
    double a = now_ms();
    aws_lc_0_47_0_RAND_bytes(buf, sizeof buf);
    double b = now_ms();
    aws_lc_0_47_0_RAND_bytes(buf, sizeof buf);
    double c = now_ms();
    printf("first RAND_bytes %.2f ms, second %.3f ms\n", b - a, c - b);
    return 0;
}
