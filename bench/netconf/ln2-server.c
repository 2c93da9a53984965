/*
 * A minimal NETCONF server on libnetconf2 (Debian's libnetconf2-dev 2.0.24), the reference for issue 4's
 * benchmark (a): it listens on a Unix socket and answers every <get-config> with one fixed leaf
 * (/ietf-interfaces:interfaces/interface[name='eth0']/description), the same reply mgmtd gives the
 * benchmark client. No datastore, no validation: the cost of the NETCONF layer alone.
 *
 *   ln2-server SOCKET SEARCHDIR...     (SEARCHDIRs hold ietf-netconf and ietf-interfaces)
 */
#include <libyang/libyang.h>
#include <nc_server.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ly_ctx *ctx;

static struct nc_server_reply *get_config(struct lyd_node *rpc, struct nc_session *session)
{
    (void)session;
    struct lyd_node *data = NULL, *output = NULL;
    if (lyd_new_path(NULL, ctx, "/ietf-interfaces:interfaces/interface[name='eth0']/description", "port 0", 0, &data))
        return NULL;
    if (lyd_dup_single(rpc, NULL, 0, &output)) return NULL;
    if (lyd_new_any(output, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL)) return NULL;
    return nc_server_reply_data(output, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ln2-server SOCKET SEARCHDIR...\n");
        return 2;
    }
    if (ly_ctx_new(NULL, 0, &ctx)) return 1;
    for (int i = 2; i < argc; i++) ly_ctx_set_searchdir(ctx, argv[i]);
    const char *all[] = {"*", NULL};
    if (!ly_ctx_load_module(ctx, "ietf-netconf", NULL, all) || !ly_ctx_load_module(ctx, "ietf-interfaces", NULL, all)
        || !ly_ctx_load_module(ctx, "ietf-netconf-with-defaults", NULL, NULL)) {
        fprintf(stderr, "cannot load ietf-netconf / ietf-interfaces\n");
        return 1;
    }
    if (nc_server_init(ctx)) return 1;
    struct lysc_node *node = (struct lysc_node *)lys_find_path(ctx, NULL, "/ietf-netconf:get-config", 0);
    if (!node) return 1;
    nc_set_rpc_callback(node, get_config);
    unlink(argv[1]);
    if (nc_server_add_endpt("unix", NC_TI_UNIX) || nc_server_endpt_set_address("unix", argv[1])
        || nc_server_endpt_set_perms("unix", 0666, -1, -1)) {
        fprintf(stderr, "cannot listen on %s\n", argv[1]);
        return 1;
    }
    fprintf(stderr, "ln2-server ready\n");
    struct nc_pollsession *ps = nc_ps_new();
    for (;;) {
        struct nc_session *session;
        if (nc_accept(0, &session) == NC_MSG_HELLO) nc_ps_add_session(ps, session);
        struct nc_session *polled = NULL;
        int r = nc_ps_poll(ps, 0, &polled);
        if (r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) {
            nc_ps_del_session(ps, polled);
            nc_session_free(polled, NULL);
        }
        if (r & NC_PSPOLL_NOSESSIONS) usleep(1000);
    }
}
