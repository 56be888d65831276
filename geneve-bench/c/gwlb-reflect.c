/*
 * gwlb-reflect: the socket floor of the GWLB appliance. It does the appliance's job with the best
 * plain system calls and no Geneve work: recvmmsg(2) of up to 64 datagrams on UDP PORT, then each
 * reply written in place in front of its datagram (an IPv4 header from the local address back to the
 * sender, a UDP header with the ports as received: the sender's source port kept, destination PORT,
 * UDP checksum 0) and the whole batch sent with one sendmmsg(2) on a raw IPv4 socket (IPPROTO_RAW),
 * which is how `geneve gwlb` answers GWLB.
 *
 * Usage: gwlb-reflect LOCAL_IPV4 [PORT]   (runs until SIGTERM/SIGINT; then prints: reflected N)
 * Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define HEADROOM 28            /* the reply's IPv4 (20) and UDP (8) headers */
#define SLOT 2048

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void) s; stop = 1; }

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t) v; }

static uint16_t ip_checksum(const uint8_t *p) {
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2) s += (uint32_t) (p[i] << 8 | p[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t) ~s;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: gwlb-reflect LOCAL_IPV4 [PORT]\n"); return 2; }
    struct in_addr local;
    if (!inet_pton(AF_INET, argv[1], &local)) { fprintf(stderr, "bad address\n"); return 2; }
    int port = argc > 2 ? atoi(argv[2]) : 6081;
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (rx < 0 || tx < 0) { perror("socket"); return 1; }
    int buf = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    struct timeval tv = {0, 200000};   /* wake up to see a signal */
    setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr = local, .sin_port = htons((uint16_t) port)};
    if (bind(rx, (struct sockaddr *) &at, sizeof at) < 0) { perror("bind"); return 1; }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    static uint8_t slots[BATCH][SLOT];
    struct sockaddr_in from[BATCH];
    struct iovec rxv[BATCH], txv[BATCH];
    struct mmsghdr in[BATCH], out[BATCH];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    for (int i = 0; i < BATCH; i++) {
        rxv[i].iov_base = slots[i] + HEADROOM;
        rxv[i].iov_len = SLOT - HEADROOM;
        in[i].msg_hdr.msg_iov = &rxv[i];
        in[i].msg_hdr.msg_iovlen = 1;
        in[i].msg_hdr.msg_name = &from[i];
        out[i].msg_hdr.msg_iov = &txv[i];
        out[i].msg_hdr.msg_iovlen = 1;
        out[i].msg_hdr.msg_name = &from[i];
        out[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    long long reflected = 0, failed = 0;
    while (!stop) {
        for (int i = 0; i < BATCH; i++) in[i].msg_hdr.msg_namelen = sizeof from[i];
        int n = recvmmsg(rx, in, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR) { perror("recvmmsg"); return 1; }
            continue;
        }
        for (int i = 0; i < n; i++) {
            uint8_t *p = slots[i];
            int len = HEADROOM + (int) in[i].msg_len;
            memset(p, 0, HEADROOM);
            p[0] = 0x45; put16(p + 2, (uint16_t) len); p[6] = 0x40; p[8] = 64; p[9] = 17;
            memcpy(p + 12, &local, 4);
            memcpy(p + 16, &from[i].sin_addr, 4);
            put16(p + 10, ip_checksum(p));
            memcpy(p + 20, &from[i].sin_port, 2);      /* the sender's source port kept */
            put16(p + 22, (uint16_t) port);            /* to the Geneve port */
            put16(p + 24, (uint16_t) (len - 20));      /* UDP checksum 0: none (RFC 768, IPv4) */
            from[i].sin_port = 0;                      /* a raw socket's destination has no port */
            txv[i].iov_base = p;
            txv[i].iov_len = (size_t) len;
        }
        int sent = 0;
        while (sent < n) {
            int r = sendmmsg(tx, out + sent, (unsigned) (n - sent), 0);
            if (r <= 0) { failed += n - sent; break; }
            sent += r;
        }
        reflected += sent;
    }
    printf("reflected %lld (%lld failed)\n", reflected, failed);
    return 0;
}
