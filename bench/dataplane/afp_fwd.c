/* The minimal AF_PACKET forwarder of bench/dataplane/run.sh (the I/O ceiling for the dataplane's AfPacketPort):
 * frames in on one interface (recvmmsg, a batch of up to 64, polled without blocking as the dataplane's worker
 * polls; an 8 MB receive buffer, so that a burst of the kernel's receive work does not overflow it), Ethernet
 * addresses rewritten (destination: the next hop's MAC, source: the egress interface's), out on the other
 * (sendmmsg, qdisc bypassed). No IP processing at all; the ingress interface promiscuous, as the dataplane's.
 *   afp_fwd IN_IF OUT_IF OUT_SRC_MAC NEXT_HOP_MAC
 * Runs until killed. Needs CAP_NET_RAW. */
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
#include <unistd.h>

#define BATCH 64
#define SNAP 2048

static void mac(const char *s, uint8_t *m) {
  if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) { fprintf(stderr, "bad MAC %s\n", s); exit(2); }
}

static int open_on(const char *name, int protocol) {
  int fd = socket(AF_PACKET, SOCK_RAW, protocol);
  struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = protocol, .sll_ifindex = if_nametoindex(name) };
  if (fd < 0 || !ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof ll)) { perror(name); exit(1); }
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: afp_fwd IN_IF OUT_IF OUT_SRC_MAC NEXT_HOP_MAC\n"); return 2; }
  uint8_t header[12];
  mac(argv[4], header); mac(argv[3], header + 6);
  int in = open_on(argv[1], htons(ETH_P_ALL)), out = open_on(argv[2], 0);
  int big = 8 << 20, one = 1;
  setsockopt(in, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct packet_mreq promisc = { .mr_ifindex = if_nametoindex(argv[1]), .mr_type = PACKET_MR_PROMISC };
  setsockopt(in, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc);
  setsockopt(out, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  static uint8_t buffers[BATCH][SNAP];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) { msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1; }
  for (;;) {
    for (int i = 0; i < BATCH; i++) { iov[i].iov_base = buffers[i]; iov[i].iov_len = SNAP; }
    int n = recvmmsg(in, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) continue;
    for (int i = 0; i < n; i++) {
      memcpy(buffers[i], header, 12);
      iov[i].iov_len = msgs[i].msg_len;
    }
    for (int done = 0; done < n;) {
      int s = sendmmsg(out, msgs + done, n - done, 0);
      if (s <= 0) break;
      done += s;
    }
  }
}
