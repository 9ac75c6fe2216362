/*
 * The machine's floor for the chatty latency: the least a process can do to see a claim.
 *
 * One AF_PACKET socket for ETH_P_ARP on the interface named in argv[1], blocking in poll() as
 * dupip's uv_poll does, then recv(); for each ARP frame it prints the wall-clock time it was read
 * (CLOCK_REALTIME, microseconds) and the sender's IPv4 address, and goes back to poll(). It does
 * nothing else: the difference between the claim's time on the wire and this line is the wake-up
 * itself (softirq delivery, the scheduler, the vCPU), which dupip pays too before its first
 * instruction. Built by the chatty scenario with the system's cc; it only receives.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: wake-floor IFNAME\n");
    return 2;
  }
  int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = (int)if_nametoindex(argv[1]);
  if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    perror("bind");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  unsigned char buf[128];
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    if (poll(&p, 1, -1) < 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (n < 28) continue; /* an ARP payload for IPv4 over Ethernet is 28 bytes */
    printf("%lld.%06ld %u.%u.%u.%u\n", (long long)t.tv_sec, t.tv_nsec / 1000, buf[14], buf[15], buf[16], buf[17]);
  }
}
