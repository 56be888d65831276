/*
 * The C reference point for GeneveDecodeBenchmark.view: the same validation and field reads
 * (version, Opt Len within the input, every option inside Opt Len; VNI, protocol type, flags, each
 * option's class, type and length), over the same GWLB header, compiled with gcc -O2.
 * Prints nanoseconds per decode. Run by run-c-baseline.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint8_t GWLB[] = {
    0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8,
    0x01, 0x08, 0x02, 0x02, 9, 10, 11, 12, 13, 14, 15, 16,
    0x01, 0x08, 0x03, 0x01, 17, 18, 19, 20,
};

/* returns -1 on bad input, else a sum of the fields read */
static long decode(const uint8_t *p, size_t len) {
    if (len < 8) return -1;
    if ((p[0] >> 6) != 0) return -1;
    size_t hlen = 8 + (size_t)(p[0] & 0x3f) * 4;
    if (len < hlen) return -1;
    long sum = ((long)p[4] << 16 | p[5] << 8 | p[6]) + (p[2] << 8 | p[3]) + ((p[1] & 0x40) ? 1 : 0) + ((p[1] & 0x80) ? 2 : 0);
    size_t pos = 8;
    while (pos < hlen) {
        size_t dlen = (size_t)(p[pos + 3] & 0x1f) * 4;
        if (pos + 4 + dlen > hlen) return -1;
        sum += (p[pos] << 8 | p[pos + 1]) + p[pos + 2] + (long)dlen;
        pos += 4 + dlen;
    }
    return sum + (long)hlen;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 200000000L;
    uint8_t *packet = malloc(sizeof GWLB + 64);
    memcpy(packet, GWLB, sizeof GWLB);
    memset(packet + sizeof GWLB, 0, 64);
    volatile long sink = 0;
    size_t len = sizeof GWLB + 64;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < iterations; i++) {
        /* as JMH does for the Java side, keep the compiler from hoisting the decode out of the
           loop: change a byte of the VNI each time and tell it that memory may have changed */
        packet[6] = (uint8_t)i;
        __asm__ volatile("" : : "r"(packet) : "memory");
        sink += decode(packet, len);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("c_gwlb_decode_ns_per_op %.3f (sink %ld)\n", ns / iterations, (long)sink);
    free(packet);
    return 0;
}
