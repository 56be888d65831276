/*
 * The C reference point for ChecksumBenchmark.checksum: the same RFC 1071 algorithm as
 * InternetChecksum.sum (8-byte loads in the machine's byte order, each added as its two 32-bit
 * halves to one 64-bit accumulator, carries deferred to the final fold, the folded sum byte-swapped
 * once on a little-endian machine, then the 4-, 2- and 1-byte tail big-endian), compiled with
 * gcc -O3 -march=native so that the compiler may vectorise it as it likes. The same random bytes at
 * 1500, 9000 and 65536 bytes; prints nanoseconds per checksum and GB/s. Run by run-c-baseline.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned fold(uint64_t sum) {
    sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    return (unsigned) sum;
}

static unsigned checksum(const uint8_t *p, size_t length) {
    size_t words = length >> 3;
    uint64_t sum = 0;
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        memcpy(&v, p + (i << 3), 8);
        sum += (v >> 32) + (v & 0xFFFFFFFFu);
    }
    if (sum != 0) {
        unsigned folded = fold(sum);
        sum = ((folded & 0xFF) << 8) | (folded >> 8);
    }
    const uint8_t *q = p + (words << 3);
    size_t rest = length & 7;
    if (rest >= 4) { sum += (uint32_t) q[0] << 24 | (uint32_t) q[1] << 16 | q[2] << 8 | q[3]; q += 4; rest -= 4; }
    if (rest >= 2) { sum += (unsigned) (q[0] << 8 | q[1]); q += 2; rest -= 2; }
    if (rest == 1) { sum += (unsigned) q[0] << 8; }
    return ~fold(sum) & 0xFFFF;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    static const size_t sizes[] = {1500, 9000, 65536};
    uint8_t *data = aligned_alloc(64, 65536);
    srand(1);
    for (size_t i = 0; i < 65536; i++) data[i] = (uint8_t) rand();
    for (size_t s = 0; s < 3; s++) {
        size_t size = sizes[s];
        long iterations = (long) (seconds * 4e9 / (double) size);
        volatile unsigned sink = 0;
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long i = 0; i < iterations; i++) {
            /* keep the compiler from hoisting the checksum out of the loop */
            __asm__ volatile("" : : "r"(data) : "memory");
            sink += checksum(data, size);
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        double ns = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / iterations;
        printf("c_checksum_ns_per_op size=%zu %.3f (%.1f GB/s, sink %u)\n", size, ns, size / ns, (unsigned) sink);
    }
    free(data);
    return 0;
}
