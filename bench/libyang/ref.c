/*
 * libyang at its best, as the reference for bench/yang/run.sh:
 *   ref compile SEARCHDIR MODULE_FILE...        parse every module (all features), compile the context once
 *   ref data SEARCHDIR DOC MODULE_FILE...       load the modules, then parse and validate one config document
 * Times go to stderr as "parse_s=... compile_s=..." / "data_s=...".
 */
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_modules(struct ly_ctx *ctx, int n, char **files)
{
    const char *all[] = {"*", NULL};
    for (int i = 0; i < n; i++) {
        struct ly_in *in = NULL;
        if (ly_in_new_filepath(files[i], 0, &in) != LY_SUCCESS) {
            fprintf(stderr, "%s: cannot open\n", files[i]);
            return 1;
        }
        LY_ERR r = lys_parse(ctx, in, LYS_IN_YANG, all, NULL);
        ly_in_free(in, 0);
        if (r != LY_SUCCESS && r != LY_EEXIST) {
            fprintf(stderr, "%s: parse failed\n", files[i]);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "compile") && strcmp(argv[1], "data"))) {
        fprintf(stderr, "usage: ref compile SEARCHDIR MODULE...\n       ref data SEARCHDIR DOC MODULE...\n");
        return 2;
    }
    int data = !strcmp(argv[1], "data");
    struct ly_ctx *ctx = NULL;
    ly_log_options(0); /* quiet: warnings are not what is measured */
    double t0 = now();
    if (ly_ctx_new(argv[2], LY_CTX_EXPLICIT_COMPILE | LY_CTX_REF_IMPLEMENTED | LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) != LY_SUCCESS) return 1;
    int first = data ? 4 : 3;
    if (load_modules(ctx, argc - first, argv + first)) return 1;
    double t1 = now();
    if (ly_ctx_compile(ctx) != LY_SUCCESS) {
        fprintf(stderr, "compile failed\n");
        return 1;
    }
    double t2 = now();
    if (!data) {
        fprintf(stderr, "parse_s=%.3f compile_s=%.3f modules=%d\n", t1 - t0, t2 - t1, argc - first);
        ly_ctx_destroy(ctx);
        return 0;
    }
    struct lyd_node *tree = NULL;
    LY_ERR r = lyd_parse_data_path(ctx, argv[3], LYD_UNKNOWN, LYD_PARSE_STRICT, LYD_VALIDATE_NO_STATE, &tree);
    double t3 = now();
    fprintf(stderr, "data_s=%.3f result=%s\n", t3 - t2, r == LY_SUCCESS ? "valid" : "invalid");
    lyd_free_all(tree);
    ly_ctx_destroy(ctx);
    return r == LY_SUCCESS ? 0 : 1;
}
