/*
 * mgmt_dpdk: the few DPDK calls the dataplane's DpdkPort needs, as plain exported functions. DPDK's packet
 * path (rte_eth_rx_burst, rte_eth_tx_burst, mbuf fields) is inline in its headers, so P/Invoke cannot reach it
 * directly; this shim wraps it. Built by build.sh when libdpdk-dev (pkg-config libdpdk) is present.
 *
 * Return values: >= 0 success, < 0 a negated errno (rte_errno where DPDK sets it); mgmt_dpdk_strerror names it.
 */
/* rte_pktmbuf_pool_create_extbuf is still marked experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_version.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT const char *mgmt_dpdk_version(void)
{
    return rte_version();
}

EXPORT const char *mgmt_dpdk_strerror(int error)
{
    return rte_strerror(error < 0 ? -error : error);
}

/* rte_eal_init; argv[0] is the program name. EAL keeps pointers into argv, so the caller leaves it allocated. */
EXPORT int mgmt_dpdk_init(int argc, char **argv)
{
    int ret = rte_eal_init(argc, argv);
    if (ret < 0) return rte_errno > 0 ? -rte_errno : -EINVAL;
    return ret;
}

/* Hot-plugs a device from its devargs ("net_af_packet0,iface=eth0"); for virtual devices in the calling thread's
 * network namespace. */
EXPORT int mgmt_dpdk_probe(const char *devargs)
{
    int ret = rte_dev_probe(devargs);
    return ret < 0 ? ret : 0;
}

EXPORT int mgmt_dpdk_port_count(void)
{
    return rte_eth_dev_count_avail();
}

EXPORT int mgmt_dpdk_port_by_name(const char *name)
{
    uint16_t port;
    int ret = rte_eth_dev_get_port_by_name(name, &port);
    return ret < 0 ? ret : port;
}

EXPORT int mgmt_dpdk_port_name(uint16_t port, char *name, int size)
{
    char buffer[RTE_ETH_NAME_MAX_LEN];
    int ret = rte_eth_dev_get_name_by_port(port, buffer);
    if (ret < 0) return ret;
    if ((int)strlen(buffer) >= size) return -ENOSPC;
    strcpy(name, buffer);
    return 0;
}

/* The name of the device's driver ("net_af_packet"), for messages. */
EXPORT int mgmt_dpdk_driver_name(uint16_t port, char *name, int size)
{
    struct rte_eth_dev_info info;
    int ret = rte_eth_dev_info_get(port, &info);
    if (ret < 0) return ret;
    if (info.driver_name == NULL || (int)strlen(info.driver_name) >= size) return -ENOSPC;
    strcpy(name, info.driver_name);
    return 0;
}

/*
 * For net_af_xdp: a pktmbuf pool as rte_pktmbuf_pool_create makes one, but with its objects packed back to back in
 * one chunk of virtual memory (RTE_MEMPOOL_F_NO_IOVA_CONTIG; af_xdp uses no IOVAs, a NIC would). The af_xdp PMD
 * (22.11) registers the rx queue's pool as its UMEM: from the page of the first object, populated_size * object
 * size long, as if the objects were packed. rte_pktmbuf_pool_create without hugepages keeps each object within a
 * 4 KB page (one 2.3 KB mbuf a page), so the pool spans 1.7 times that and the mbufs beyond lay outside the UMEM:
 * the kernel skipped every frame sent from one as an invalid descriptor (XDP_STATISTICS tx_invalid_descs, 84% of
 * the frames on veth) while the driver counted it as sent, and it dropped fill-ring buffers there on receive.
 */
static int packed_pool_create(const char *name, unsigned n, unsigned data_room, int socket, struct rte_mempool **pool)
{
    struct rte_pktmbuf_pool_private priv;
    struct rte_mempool *mp;
    int ret;

    mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + data_room, 256, sizeof priv, socket,
                                  RTE_MEMPOOL_F_NO_IOVA_CONTIG);
    if (mp == NULL) return rte_errno > 0 ? -rte_errno : -ENOMEM;
    ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
    if (ret == 0)
    {
        memset(&priv, 0, sizeof priv);
        priv.mbuf_data_room_size = (uint16_t)data_room;
        rte_pktmbuf_pool_init(mp, &priv);
        ret = rte_mempool_populate_default(mp);
        if (ret >= 0 && (unsigned)ret != n) ret = -ENOMEM;
        else if (ret >= 0 && mp->nb_mem_chunks != 1) ret = -ENOMEM; /* af_xdp needs one chunk */
    }
    if (ret < 0)
    {
        rte_mempool_free(mp);
        return ret;
    }
    rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
    *pool = mp;
    return 0;
}

/* Configures the port with one receive and one transmit queue on `pool`, promiscuous mode (the dataplane filters by
 * MAC itself), and starts it. */
static int start_with(uint16_t port, struct rte_mempool *pool, int socket)
{
    struct rte_eth_conf conf;
    uint16_t rx_desc = 512, tx_desc = 512;
    int ret;
    memset(&conf, 0, sizeof conf);
    ret = rte_eth_dev_configure(port, 1, 1, &conf);
    if (ret < 0) return ret;
    ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
    if (ret < 0) return ret;
    ret = rte_eth_rx_queue_setup(port, 0, rx_desc, socket, NULL, pool);
    if (ret >= 0) ret = rte_eth_tx_queue_setup(port, 0, tx_desc, socket, NULL);
    if (ret >= 0) ret = rte_eth_dev_start(port);
    if (ret >= 0) rte_eth_promiscuous_enable(port); /* best effort: not every driver has the notion */
    if (ret < 0) rte_eth_dev_stop(port);
    return ret;
}

static int port_socket(uint16_t port)
{
    int socket = rte_eth_dev_socket_id(port);
    return socket < 0 ? (int)rte_socket_id() : socket;
}

/*
 * Starts the port with a mempool of its own of `mbufs` buffers for both directions; *pool receives the mempool
 * (freed by mgmt_dpdk_port_close). `data_room` is the data bytes per mbuf (a frame is copied into one).
 */
EXPORT int mgmt_dpdk_port_start(uint16_t port, unsigned mbufs, unsigned data_room, struct rte_mempool **pool)
{
    static unsigned pools;
    char name[RTE_MEMPOOL_NAMESIZE];
    struct rte_eth_dev_info info;
    int socket;
    int ret;

    *pool = NULL;
    if (!rte_eth_dev_is_valid_port(port)) return -ENODEV;
    socket = port_socket(port);
    snprintf(name, sizeof name, "mgmt%u_%u", port, __atomic_fetch_add(&pools, 1, __ATOMIC_RELAXED));
    if (rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != NULL && strcmp(info.driver_name, "net_af_xdp") == 0)
    {
        ret = packed_pool_create(name, mbufs, RTE_PKTMBUF_HEADROOM + data_room, socket, pool);
        if (ret < 0) return ret;
    }
    else
    {
        *pool = rte_pktmbuf_pool_create(name, mbufs, 256, 0, RTE_PKTMBUF_HEADROOM + data_room, socket);
        if (*pool == NULL) return rte_errno > 0 ? -rte_errno : -ENOMEM;
    }
    ret = start_with(port, *pool, socket);
    if (ret < 0)
    {
        rte_mempool_free(*pool);
        *pool = NULL;
    }
    return ret;
}

struct extmem_walk
{
    char *base;
    unsigned element;
    unsigned count;
    struct rte_mbuf **table;
};

static void record_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned index)
{
    struct extmem_walk *walk = arg;
    struct rte_mbuf *m = obj;
    size_t at = (size_t)((char *)m->buf_addr - walk->base) / walk->element;
    (void)mp;
    (void)index;
    if (at < walk->count) walk->table[at] = m;
}

/*
 * Starts the port with a mempool whose `count` mbufs keep their data in the caller's memory, one `element`-byte
 * buffer each from `base` on (the dataplane's own packet buffers, lent to the port: frames arrive in them and are
 * sent from them without a copy). table[i] receives the mbuf of buffer i. Only where addresses are virtual
 * (IOVA as VA: virtual devices, --no-huge): -ENOTSUP otherwise, for the caller to fall back to copying.
 */
EXPORT int mgmt_dpdk_port_start_extmem(uint16_t port, void *base, unsigned count, unsigned element, struct rte_mempool **pool,
                                        struct rte_mbuf **table)
{
    static unsigned pools;
    char name[RTE_MEMPOOL_NAMESIZE];
    struct rte_pktmbuf_extmem ext;
    struct extmem_walk walk = { base, element, count, table };
    int socket;
    int ret;

    *pool = NULL;
    if (!rte_eth_dev_is_valid_port(port)) return -ENODEV;
    if (rte_eal_iova_mode() != RTE_IOVA_VA) return -ENOTSUP;
    socket = port_socket(port);
    snprintf(name, sizeof name, "mgmtx%u_%u", port, __atomic_fetch_add(&pools, 1, __ATOMIC_RELAXED));
    ext.buf_ptr = base;
    ext.buf_iova = (rte_iova_t)(uintptr_t)base;
    ext.buf_len = (size_t)count * element;
    ext.elt_size = (uint16_t)element;
    memset(table, 0, sizeof *table * count);
    *pool = rte_pktmbuf_pool_create_extbuf(name, count, 0, 0, (uint16_t)element, socket, &ext, 1);
    if (*pool == NULL) return rte_errno > 0 ? -rte_errno : -ENOMEM;
    rte_mempool_obj_iter(*pool, record_mbuf, &walk);
    ret = 0;
    for (unsigned i = 0; i < count; i++)
        if (table[i] == NULL) ret = -EINVAL; /* a buffer without its mbuf: the pool did not lay them out one each */
    if (ret == 0) ret = start_with(port, *pool, socket);
    if (ret < 0)
    {
        rte_mempool_free(*pool);
        *pool = NULL;
    }
    return ret;
}

/* Readies an mbuf of an extmem pool to send its buffer as it is now (data at `offset`, `length` bytes) and takes a
 * reference for the driver: the sender's own free and the driver's free after sending each drop one. */
EXPORT struct rte_mbuf *mgmt_dpdk_tx_own(struct rte_mbuf *m, uint16_t offset, uint16_t length)
{
    rte_mbuf_refcnt_update(m, 1);
    m->data_off = offset;
    m->data_len = length;
    m->pkt_len = length;
    m->nb_segs = 1;
    m->next = NULL;
    m->ol_flags = 0;
    return m;
}

/* Stops and closes the port, frees its mempool (after the port, which may still hold mbufs of it) and, when
 * `remove`, removes its device (one hot-plugged by mgmt_dpdk_probe), so that its name can be used again. */
EXPORT int mgmt_dpdk_port_close(uint16_t port, struct rte_mempool *pool, int remove)
{
    struct rte_eth_dev_info info;
    struct rte_device *device = NULL;
    int ret = 0;
    if (rte_eth_dev_is_valid_port(port))
    {
        if (rte_eth_dev_info_get(port, &info) == 0) device = info.device;
        rte_eth_dev_stop(port);
        ret = rte_eth_dev_close(port);
    }
    if (pool != NULL) rte_mempool_free(pool);
    if (remove && device != NULL)
    {
        int removed = rte_dev_remove(device);
        if (ret == 0 && removed < 0) ret = removed;
    }
    return ret;
}

/* 1 link up, 0 down, < 0 error. Does not wait. */
EXPORT int mgmt_dpdk_link_up(uint16_t port)
{
    struct rte_eth_link link;
    int ret = rte_eth_link_get_nowait(port, &link);
    if (ret < 0) return ret;
    return link.link_status == RTE_ETH_LINK_UP;
}

EXPORT int mgmt_dpdk_mac(uint16_t port, uint8_t mac[6])
{
    struct rte_ether_addr address;
    int ret = rte_eth_macaddr_get(port, &address);
    if (ret < 0) return ret;
    memcpy(mac, address.addr_bytes, 6);
    return 0;
}

/*
 * Receives up to n frames from queue 0: mbufs[i] is the mbuf (to free with mgmt_dpdk_free), lengths[i] its frame
 * length and data[i] its bytes when they are in one segment (else NULL: mgmt_dpdk_read gathers them).
 */
EXPORT uint16_t mgmt_dpdk_rx(uint16_t port, struct rte_mbuf **mbufs, const void **data, uint32_t *lengths, uint16_t n)
{
    uint16_t got = rte_eth_rx_burst(port, 0, mbufs, n);
    for (uint16_t i = 0; i < got; i++)
    {
        struct rte_mbuf *m = mbufs[i];
        lengths[i] = m->pkt_len;
        data[i] = m->nb_segs == 1 ? rte_pktmbuf_mtod(m, const void *) : NULL;
    }
    return got;
}

/* Copies a (segmented) frame into dst; its length, or -ENOSPC when it does not fit. */
EXPORT int mgmt_dpdk_read(const struct rte_mbuf *m, void *dst, uint32_t capacity)
{
    if (m->pkt_len > capacity) return -ENOSPC;
    const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, dst);
    if (p == NULL) return -EINVAL;
    if (p != dst) memcpy(dst, p, m->pkt_len);
    return (int)m->pkt_len;
}

EXPORT void mgmt_dpdk_free(struct rte_mbuf **mbufs, unsigned n)
{
    rte_pktmbuf_free_bulk(mbufs, n);
}

/* A copy of a frame in an mbuf of pool, to send with mgmt_dpdk_tx_burst; NULL when the pool is empty. */
EXPORT struct rte_mbuf *mgmt_dpdk_tx_copy(struct rte_mempool *pool, const void *frame, uint16_t length)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (m == NULL) return NULL;
    char *p = rte_pktmbuf_append(m, length);
    if (p == NULL)
    {
        rte_pktmbuf_free(m);
        return NULL;
    }
    rte_memcpy(p, frame, length);
    return m;
}

/* Hands up to n mbufs to queue 0; how many the driver took (from the front). */
EXPORT uint16_t mgmt_dpdk_tx_burst(uint16_t port, struct rte_mbuf **mbufs, uint16_t n)
{
    return rte_eth_tx_burst(port, 0, mbufs, n);
}

/* The driver's counters: received, sent, missed (no room on receive), receive errors, transmit errors. */
EXPORT int mgmt_dpdk_stats(uint16_t port, uint64_t counters[5])
{
    struct rte_eth_stats stats;
    int ret = rte_eth_stats_get(port, &stats);
    if (ret < 0) return ret;
    counters[0] = stats.ipackets;
    counters[1] = stats.opackets;
    counters[2] = stats.imissed;
    counters[3] = stats.ierrors;
    counters[4] = stats.oerrors;
    return 0;
}
