/*
 * gwlb-gen: a GWLB stand-in that does not cap the measurement. It sends GWLB datagrams (Geneve on
 * UDP 6081 with AWS's three class-0x0108 options around a 28-byte inner IPv4/UDP packet) of FLOWS
 * flows, flow i from outer source port 42000+i, interleaved, from one raw IPv4 socket with
 * sendmmsg(2) batches of up to 64, at an offered RATE per second (0: as fast as it can) for SECONDS.
 * It does not read the replies: gwlb-floors.sh counts them in the kernel (an iptables raw-table rule
 * in the stand-in's namespace), so no socket on this side competes for the measured cores.
 *
 * What is sent, per datagram: UDP payload 68 bytes (Geneve base header 8, options 32, inner IPv4 20 +
 * UDP 8, no inner payload); IPv4 packet 96 bytes; Ethernet frame 110 bytes.
 *
 * Usage: gwlb-gen SRC_IPV4 DST_IPV4 RATE SECONDS [FLOWS]   (prints: sent N in T s)
 * Bounded in count and time; stops by itself. Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FLOWS 1024
#define PACKET 96

static uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t) s;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t) (p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t) (p[n - 1] << 8);
    return s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t) v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, (uint16_t) v); }

/* an IPv4 header at p: 20 bytes, total length len, protocol proto, checksum computed */
static void ipv4(uint8_t *p, uint32_t src, uint32_t dst, int proto, int len) {
    memset(p, 0, 20);
    p[0] = 0x45; put16(p + 2, (uint16_t) len); put16(p + 4, 0x1234); put16(p + 6, 0x4000);
    p[8] = 64; p[9] = (uint8_t) proto; put32(p + 12, src); put32(p + 16, dst);
    put16(p + 10, (uint16_t) ~fold(sum16(p, 20, 0)));
}

/* a UDP header + payload at p (len bytes in all), checksum over the IPv4 pseudo-header */
static void udp(uint8_t *p, uint32_t src, uint32_t dst, int sport, int dport, int len) {
    put16(p, (uint16_t) sport); put16(p + 2, (uint16_t) dport); put16(p + 4, (uint16_t) len); put16(p + 6, 0);
    uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + (uint32_t) len;
    uint16_t c = (uint16_t) ~fold(sum16(p, (size_t) len, pseudo));
    put16(p + 6, c == 0 ? 0xffff : c);
}

static void datagram(uint8_t *p, uint32_t src, uint32_t dst, int flow) {
    uint8_t *g = p + 28;               /* outer IPv4 20 + UDP 8 */
    memset(g, 0, 40);
    g[0] = 32 / 4; put16(g + 2, 0x0800);          /* Opt Len 8 (32 bytes), protocol IPv4, VNI 0 */
    put16(g + 8, 0x0108); g[10] = 1; g[11] = 2;   /* GWLB endpoint ID, 8 bytes */
    put32(g + 12, 0x2b8ee1d4); put32(g + 16, 0xdb0c51c4u + (uint32_t) (flow & 1));
    put16(g + 20, 0x0108); g[22] = 2; g[23] = 2;  /* attachment ID, 8 bytes */
    put32(g + 28, 7);
    put16(g + 32, 0x0108); g[34] = 3; g[35] = 1;  /* flow cookie, 4 bytes */
    put32(g + 36, (uint32_t) flow);
    uint8_t *in = g + 40;                         /* inner 10.0.0.1 -> 10.0.1.flow, UDP 30000+flow -> 53 */
    uint32_t isrc = 0x0a000001, idst = 0x0a000100u | (uint32_t) (flow & 0xff);
    ipv4(in, isrc, idst, 17, 28);
    udp(in + 20, isrc, idst, 30000 + flow, 53, 8);
    udp(p + 20, src, dst, 42000 + flow, 6081, PACKET - 20);
    ipv4(p, src, dst, 17, PACKET);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: gwlb-gen SRC DST RATE SECONDS [FLOWS]\n"); return 2; }
    struct in_addr s, d;
    if (!inet_pton(AF_INET, argv[1], &s) || !inet_pton(AF_INET, argv[2], &d)) { fprintf(stderr, "bad address\n"); return 2; }
    long rate = atol(argv[3]);
    double seconds = atof(argv[4]);
    int flows = argc > 5 ? atoi(argv[5]) : 16;
    if (flows < 1 || flows > MAX_FLOWS || seconds <= 0 || seconds > 600 || rate < 0) { fprintf(stderr, "bad arguments\n"); return 2; }
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) { perror("socket(SOCK_RAW)"); return 1; }
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    static uint8_t packets[MAX_FLOWS][PACKET];
    for (int i = 0; i < flows; i++) datagram(packets[i], ntohl(s.s_addr), ntohl(d.s_addr), i);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = d};
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof to;
        iov[i].iov_len = PACKET;
    }
    double start = now(), end = start + seconds, t;
    long long sent = 0, refused = 0;
    while ((t = now()) < end) {
        long long due = rate > 0 ? (long long) ((t - start) * (double) rate) : sent + BATCH;
        long long want = due - sent;
        if (want <= 0) {
            struct timespec nap = {0, 20000};
            nanosleep(&nap, NULL);
            continue;
        }
        int n = want > BATCH ? BATCH : (int) want;
        for (int i = 0; i < n; i++) iov[i].iov_base = packets[(sent + i) % flows];
        int r = sendmmsg(fd, msgs, (unsigned) n, 0);
        if (r < 0) { refused += n; sent += n; continue; }   /* ENOBUFS: counted as sent and refused */
        sent += r;
    }
    double took = now() - start;
    printf("sent %lld in %.2f s (%.0f/s, %lld refused)\n", sent, took, sent / took, refused);
    close(fd);
    return 0;
}
