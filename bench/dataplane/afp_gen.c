/* AF_PACKET traffic generator for bench/dataplane/run.sh: 64-byte UDP/IPv4 frames (60 bytes without the FCS)
 * sent with sendmmsg in batches, the UDP source port varied over FLOWS flows, for SECONDS seconds.
 *   afp_gen IFNAME SRC_MAC DST_MAC SRC_IP DST_IP SECONDS FLOWS
 * Prints the frames sent to stdout. Needs CAP_NET_RAW. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define LEN 60

static void mac(const char *s, uint8_t *m) {
  if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) { fprintf(stderr, "bad MAC %s\n", s); exit(2); }
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc != 8 && !(argc == 9 && !strcmp(argv[8], "new"))) {
    fprintf(stderr, "usage: afp_gen IFNAME SRC_MAC DST_MAC SRC_IP DST_IP SECONDS FLOWS [new]\n");
    return 2;
  }
  /* "new": every frame a flow never seen before (sources 172.16.0.0/12, any port), for connection tracking's
   * creation rate; FLOWS is then how many frames are prepared at once. */
  int fresh = argc == 9;
  uint32_t counter = 0;
  int flows = atoi(argv[7]);
  if (flows < 1 || flows > 65536) flows = 1024;
  double seconds = atof(argv[6]);
  int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, nothing is queued to it */
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = if_nametoindex(argv[1]) };
  if (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof ll)) { perror(argv[1]); return 1; }
  /* A send buffer for thousands of frames: a veth peer's backlog holds them, and the offered load should not wait
   * on the forwarder. */
  int one = 1, big = 8 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  uint8_t (*frames)[LEN] = calloc(flows, LEN);
  for (int f = 0; f < flows; f++) {
    uint8_t *p = frames[f];
    mac(argv[3], p); mac(argv[2], p + 6);
    p[12] = 0x08; p[13] = 0x00;
    uint8_t *ip = p + 14;
    ip[0] = 0x45; ip[2] = 0; ip[3] = 46; ip[8] = 64; ip[9] = 17;
    inet_pton(AF_INET, argv[4], ip + 12); inet_pton(AF_INET, argv[5], ip + 16);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += ip[i] << 8 | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = ~sum >> 8; ip[11] = ~sum & 0xff;
    uint8_t *udp = ip + 20;
    uint16_t sport = 10000 + f;
    udp[0] = sport >> 8; udp[1] = sport & 0xff; udp[2] = 0; udp[3] = 9; udp[4] = 0; udp[5] = 26; /* checksum 0: none */
  }
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) { msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1; iov[i].iov_len = LEN; }
  long long sent = 0, next = 0;
  double end = now() + seconds;
  for (unsigned loop = 0;; loop++) {
    if ((loop & 63) == 0 && now() >= end) break;
    for (int i = 0; i < BATCH; i++) {
      uint8_t *p = frames[next++ % flows];
      if (fresh) {
        uint8_t *ip = p + 14, *udp = ip + 20;
        uint32_t src = 0xac100000u | (counter >> 16 & 0xfffff);
        ip[12] = src >> 24; ip[13] = src >> 16; ip[14] = src >> 8; ip[15] = src;
        udp[0] = counter >> 8; udp[1] = counter;
        counter++;
        ip[10] = ip[11] = 0;
        uint32_t sum = 0;
        for (int k = 0; k < 20; k += 2) sum += ip[k] << 8 | ip[k + 1];
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        ip[10] = ~sum >> 8; ip[11] = ~sum & 0xff;
      }
      iov[i].iov_base = p;
    }
    int n = sendmmsg(fd, msgs, BATCH, 0);
    if (n > 0) sent += n;
  }
  printf("%lld\n", sent);
  return 0;
}
