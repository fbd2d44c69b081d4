/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tlskeys.c -- each user's TLS private keys and session ticket keys in
 * that user's workers only (tlskeys.h).
 *
 * Master, root, per generation:
 *   - mod_ssl's init_server hook notes each (server, SSL_CTX) pair;
 *   - post_config, after every module's (tlskeys_after): for each
 *     context and each certificate slot with a key, the key's DER goes
 *     into the memfd of the server's user/group pair (one per pair, made
 *     with random ticket keys of the pair at its start), straight from
 *     the sweep's own mapping (below), and the certificate is kept (a
 *     reference); every context's ticket keys are replaced with random
 *     bytes nobody keeps; every key is dropped (a throwaway certificate
 *     of the same type and size, tlskeys_make_throwaway); then the
 *     sweep.
 *   - The sweep: every secret seen (the key's private BIGNUMs in both
 *     byte orders, which the DER's INTEGERs are too; the base64 lines of
 *     its PKCS#8 and traditional PEM forms but those holding public
 *     bytes; the ticket keys) is written into anonymous mappings of the
 *     sweep's own (never the heap, excluded from the sweep, wiped on
 *     fork and cleansed after), indexed (keyscan.c), and every readable,
 *     writable, private mapping of the master (heap, anonymous mappings,
 *     the data and bss of every object, the stack) is searched for them;
 *     what is found is zeroed (freed buffers of the key files' reading,
 *     seen on some graceful restarts).
 *   - Any failure refuses the start (or the restart): PU00091.
 * Worker, root, before its switch: peruid_tlskeys_enter.
 * Router: closes every memfd (drop_privileges).
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "mpm_common.h"

#include "peruid.h"
#include "child.h"
#include "keyscan.h"
#include "segpick.h"
#include "tls.h"
#include "tlskeys.h"

#define TLSKEYS_SLOTS    9      /* certificate slots of an SSL_CTX       */
#define TLSKEYS_TICKET   80     /* name 16, HMAC key 32, AES key 32      */
#define TLSKEYS_DER_MAX  16384  /* one key's DER (RSA-16384: ~9.4 KB)    */
#define TLSKEYS_FILE_WIN 32768  /* check_config: a key file's window     */
#define TLSKEYS_MAPS_MAX (16 << 20)     /* /proc/self/maps, reserved     */

/* One context mod_ssl made, and whose it is. */
typedef struct {
    server_rec *s;
    SSL_CTX *ctx;
    uid_t uid;
    gid_t gid;
    int user;                   /* index in the generation's users       */
    int nkeys;
    X509 *cert[TLSKEYS_SLOTS];  /* the real certificates (a reference)   */
    off_t off[TLSKEYS_SLOTS];   /* their key's DER in the user's memfd   */
    int len[TLSKEYS_SLOTS];
} tlskeys_ctx_t;

/* One user/group pair's keys: a memfd, ticket keys first. */
typedef struct {
    uid_t uid;
    gid_t gid;
    int fd;                     /* -1 once closed                        */
    off_t size;
} tlskeys_user_t;

/* A throwaway certificate: of a key type and size (or curve). */
typedef struct {
    int id;                     /* EVP_PKEY_RSA, EVP_PKEY_EC             */
    int bits;
    char group[64];
    X509 *cert;
} tlskeys_throwaway_t;

/* This generation's contexts; made in the master's post_config (pconf),
 * read by its children after fork. */
typedef struct {
    apr_array_header_t *ctxs;   /* tlskeys_ctx_t                         */
    apr_array_header_t *users;  /* tlskeys_user_t                        */
    apr_array_header_t *throwaways;     /* tlskeys_throwaway_t           */
    apr_interval_time_t making;         /* the time they took to make    */
    apr_interval_time_t sweeping;       /* the sweep's index and scan    */
} tlskeys_gen_t;

/* A growing anonymous mapping of the sweep's own. */
typedef struct {
    unsigned char *base;
    size_t len, cap;
} tlskeys_region_t;

/* The sweep's secrets (data), their sources and index. */
typedef struct {
    tlskeys_region_t data;
    tlskeys_region_t srcs;      /* keyscan_src_t                         */
    tlskeys_region_t index;
    tlskeys_region_t text;      /* /proc/self/maps, for the sweep        */
    tlskeys_region_t maps;      /* its lines: segpick_map_t              */
} tlskeys_pat_t;

/* The current generation (NULL: no context to look after).  Master: set
 * by the post_config hooks, cleared with pconf; a child has the copy of
 * its fork. */
static tlskeys_gen_t *tlskeys_now;

/* ------------------------------------------------------ sweep regions */

/* Master, root: room for more bytes at the end of r (an anonymous
 * mapping that forks wipe and core dumps leave out). */
static apr_status_t tlskeys_reserve(tlskeys_region_t *r, size_t more)
{
    size_t cap = r->cap ? r->cap : 65536;
    void *m;

    while (cap < r->len + more) {
        cap *= 2;
    }
    if (cap == r->cap) {
        return APR_SUCCESS;
    }
    m = r->base ? mremap(r->base, r->cap, cap, MREMAP_MAYMOVE)
                : mmap(NULL, cap, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        return errno;
    }
    madvise(m, cap, MADV_WIPEONFORK);
    madvise(m, cap, MADV_DONTDUMP);
    r->base = m;
    r->cap = cap;
    return APR_SUCCESS;
}

/* Master, root: clear and unmap r. */
static void tlskeys_region_free(tlskeys_region_t *r)
{
    if (r->base) {
        OPENSSL_cleanse(r->base, r->len);
        munmap(r->base, r->cap);
    }
    memset(r, 0, sizeof(*r));
}

/* Master, root: note the last len bytes of pat's data as a secret. */
static apr_status_t tlskeys_source(tlskeys_pat_t *pat, size_t len)
{
    keyscan_src_t *src;
    apr_status_t rv = tlskeys_reserve(&pat->srcs, sizeof(*src));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    src = (keyscan_src_t *)(pat->srcs.base + pat->srcs.len);
    src->off = pat->data.len - len;
    src->len = len;
    pat->srcs.len += sizeof(*src);
    return APR_SUCCESS;
}

/* Master, root: append the n bytes at p to the secrets. */
static apr_status_t tlskeys_add(tlskeys_pat_t *pat, const void *p, size_t n)
{
    apr_status_t rv = tlskeys_reserve(&pat->data, n);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    memcpy(pat->data.base + pat->data.len, p, n);
    pat->data.len += n;
    return tlskeys_source(pat, n);
}

/* Master, root: the BIGNUM parameter name of pkey as secrets, in
 * OpenSSL's byte order (little-endian words) and in big-endian. */
static apr_status_t tlskeys_add_bn(tlskeys_pat_t *pat, const EVP_PKEY *pkey,
                                   const char *name)
{
    BIGNUM *bn = NULL;
    apr_status_t rv;
    int n;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        return APR_SUCCESS;     /* not a parameter of this key */
    }
    n = BN_num_bytes(bn);
    rv = tlskeys_reserve(&pat->data, 2 * (size_t)n);
    if (rv == APR_SUCCESS) {
        BN_bn2lebinpad(bn, pat->data.base + pat->data.len, n);
        pat->data.len += n;
        rv = tlskeys_source(pat, n);
    }
    if (rv == APR_SUCCESS) {
        BN_bn2binpad(bn, pat->data.base + pat->data.len, n);
        pat->data.len += n;
        rv = tlskeys_source(pat, n);
    }
    BN_clear_free(bn);
    return rv;
}

/* Master, root: does any 8 bytes of d[0..n) appear in pub[0..np)? */
static int tlskeys_has_public(const unsigned char *d, int n,
                              const unsigned char *pub, int np)
{
    int i, j;

    for (i = 0; i + 8 <= n; i++) {
        for (j = 0; j + 8 <= np; j++) {
            if (d[i] == pub[j] && memcmp(d + i, pub + j, 8) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* Master, root: the base64 lines of a PEM text as secrets, but its
 * headers and the lines whose bytes hold any of the public key pub
 * (its DER: the modulus is in the certificate too, which must stay). */
static apr_status_t tlskeys_add_pem_lines(tlskeys_pat_t *pat, const char *t,
                                          long len, const unsigned char *pub,
                                          int np)
{
    unsigned char d[80];
    apr_status_t rv = APR_SUCCESS;
    long at = 0, end;
    int n;

    while (at < len && rv == APR_SUCCESS) {
        for (end = at; end < len && t[end] != '\n'; end++) {
        }
        if (t[at] != '-' && end - at <= 100 && end - at >= 4
            && (n = EVP_DecodeBlock(d, (const unsigned char *)t + at,
                                    (int)(end - at) & ~3)) > 0
            && !tlskeys_has_public(d, n, pub, np)) {
            rv = tlskeys_add(pat, t + at, (size_t)(end - at));
        }
        at = end + 1;
    }
    OPENSSL_cleanse(d, sizeof(d));
    return rv;
}

/* Master, root: pkey's PEM (PKCS#8 when traditional is 0) as secrets. */
static apr_status_t tlskeys_add_pem(tlskeys_pat_t *pat, EVP_PKEY *pkey,
                                    int traditional)
{
    unsigned char pub[TLSKEYS_DER_MAX], *pp = pub;
    BIO *b = BIO_new(BIO_s_secmem());
    apr_status_t rv = APR_EGENERAL;
    int np = i2d_PUBKEY(pkey, NULL);
    char *t;
    long n;

    if (b && np > 0 && np <= (int)sizeof(pub) && i2d_PUBKEY(pkey, &pp) == np
        && (traditional
            ? PEM_write_bio_PrivateKey_traditional(b, pkey, NULL, NULL, 0,
                                                   NULL, NULL)
            : PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL))
        && (n = BIO_get_mem_data(b, &t)) > 0) {
        rv = tlskeys_add_pem_lines(pat, t, n, pub, np);
        OPENSSL_cleanse(t, (size_t)n);
    }
    BIO_free(b);
    return rv;
}

/* Master, root: every form of pkey the sweep looks for: its private
 * numbers (the DER's INTEGERs are their big-endian bytes) and its PEM
 * lines. */
static apr_status_t tlskeys_add_key(tlskeys_pat_t *pat, EVP_PKEY *pkey)
{
    static const char *const bns[] = {
        OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
        OSSL_PKEY_PARAM_PRIV_KEY, NULL
    };
    apr_status_t rv = APR_SUCCESS;
    int i;

    for (i = 0; bns[i] && rv == APR_SUCCESS; i++) {
        rv = tlskeys_add_bn(pat, pkey, bns[i]);
    }
    if (rv == APR_SUCCESS) {
        rv = tlskeys_add_pem(pat, pkey, 0);
    }
    if (rv == APR_SUCCESS) {
        rv = tlskeys_add_pem(pat, pkey, 1);
    }
    return rv;
}

/* ---------------------------------------------------------- the sweep */

/* Master, root: clear ks's pieces in [start, end), the regions of pat
 * left out. */
static void tlskeys_sweep_range(const keyscan_t *ks, const tlskeys_pat_t *pat,
                                unsigned long start, unsigned long end,
                                keyscan_result_t *res, unsigned long *bytes)
{
    const tlskeys_region_t *r[5] = { &pat->data, &pat->srcs, &pat->index,
                                     &pat->text, &pat->maps };
    int i;

    for (i = 0; i < 5; i++) {
        unsigned long rs = (unsigned long)r[i]->base, re = rs + r[i]->cap;

        if (r[i]->base && rs < end && re > start) {
            if (rs > start) {
                tlskeys_sweep_range(ks, pat, start, rs, res, bytes);
            }
            if (re < end) {
                tlskeys_sweep_range(ks, pat, re, end, res, bytes);
            }
            return;
        }
    }
    keyscan_clear(ks, (unsigned char *)start, end - start, res);
    *bytes += end - start;
}

/* Master, root: /proc/self/maps into pat's maps region, as
 * segpick_map_t.  Both its text and the table are in mappings of the
 * sweep's own, made before the file is read and never moved or unmapped
 * until the sweep ends: nothing the list names may go away under it (no
 * heap allocation either, which freeing could shrink). */
static apr_status_t tlskeys_read_maps(tlskeys_pat_t *pat)
{
    apr_status_t rv = tlskeys_reserve(&pat->text, TLSKEYS_MAPS_MAX);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    size_t at, lines = 0;
    ssize_t n = 1;
    char *t = (char *)pat->text.base, *eol;

    while (rv == APR_SUCCESS && fd >= 0 && n > 0
           && pat->text.len < pat->text.cap) {
        n = read(fd, t + pat->text.len, pat->text.cap - pat->text.len);
        pat->text.len += n > 0 ? (size_t)n : 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rv != APR_SUCCESS || fd < 0 || n != 0) {
        return rv != APR_SUCCESS ? rv : n > 0 ? APR_ENOSPC : APR_EGENERAL;
    }
    for (at = 0; at < pat->text.len; at++) {
        lines += t[at] == '\n';
    }
    rv = tlskeys_reserve(&pat->maps, lines * sizeof(segpick_map_t));
    for (at = 0; rv == APR_SUCCESS
                 && (eol = memchr(t + at, '\n', pat->text.len - at)) != NULL;
         at = (size_t)(eol - t) + 1) {
        segpick_map_t *m = (segpick_map_t *)(pat->maps.base + pat->maps.len);

        if (segpick_parse(t + at, (size_t)(eol - t) - at, m)) {
            pat->maps.len += sizeof(*m);
        }
    }
    return rv;
}

/* Master, root: where the readable part of mapping m ends: a private
 * mapping of a file stops at the file's end (reading past it would raise
 * SIGBUS), as fstat of /proc/self/map_files says (root may open them);
 * an anonymous one, or one whose file cannot be opened so, at its end. */
static unsigned long tlskeys_readable_end(const segpick_map_t *m)
{
    unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE), end = m->end;
    char path[80];
    struct stat st;
    int fd;

    if (m->inode == 0) {
        return end;
    }
    apr_snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
                 m->start, m->end);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return end;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        unsigned long size = (unsigned long)st.st_size;
        unsigned long in_file = size > m->offset ? size - m->offset : 0;

        in_file = (in_file + page - 1) / page * page;
        end = m->start + in_file < end ? m->start + in_file : end;
    }
    close(fd);
    return end;
}

/* Master, root: clear ks's pieces in every readable, writable, private
 * mapping (runs of adjacent ones together). */
static apr_status_t tlskeys_sweep(const keyscan_t *ks, tlskeys_pat_t *pat,
                                  keyscan_result_t *res,
                                  unsigned long *bytes)
{
    apr_status_t rv = tlskeys_read_maps(pat);
    const segpick_map_t *m = (const segpick_map_t *)pat->maps.base;
    int nm = (int)(pat->maps.len / sizeof(*m)), i;
    unsigned long rs = 0, re = 0;

    for (i = 0; rv == APR_SUCCESS && i <= nm; i++) {
        int take = i < nm && !m[i].shared && (m[i].prot & SEGPICK_READ)
                   && (m[i].prot & SEGPICK_WRITE);
        unsigned long end = take ? tlskeys_readable_end(&m[i]) : 0;

        if (take && m[i].start == re) {
            re = end;           /* a file's end ends the run */
            continue;
        }
        if (re > rs) {
            tlskeys_sweep_range(ks, pat, rs, re, res, bytes);
        }
        rs = take ? m[i].start : 0;
        re = end;
    }
    return rv;
}

/* ------------------------------------------------- the master's part */

/* Master, root: the user/group pair of s among g's users (a memfd with
 * random ticket keys made for a pair not seen yet); -1 with errno. */
static int tlskeys_user(tlskeys_gen_t *g, server_rec *s)
{
    tlskeys_user_t *u = (tlskeys_user_t *)g->users->elts;
    unsigned char tk[TLSKEYS_TICKET];
    const char *name;
    uid_t uid;
    gid_t gid;
    int i, ok;

    peruid_server_ids(s, &uid, &gid, &name);
    for (i = 0; i < g->users->nelts; i++) {
        if (u[i].uid == uid && u[i].gid == gid) {
            return i;
        }
    }
    u = apr_array_push(g->users);
    u->uid = uid;
    u->gid = gid;
    u->size = TLSKEYS_TICKET;
    if ((u->fd = memfd_create("peruid-tlskeys", MFD_CLOEXEC)) < 0) {
        return -1;
    }
    ok = RAND_priv_bytes(tk, sizeof(tk)) == 1
         && pwrite(u->fd, tk, sizeof(tk), 0) == (ssize_t)sizeof(tk);
    OPENSSL_cleanse(tk, sizeof(tk));
    errno = ok ? 0 : EIO;
    return ok ? g->users->nelts - 1 : -1;
}

/* Master, root: pkey's DER, made in the sweep's own mapping (cleansed
 * at once: not a secret to sweep for, as it holds the public modulus the
 * certificate holds too; its private numbers are, in big-endian),
 * written at the end of user u's memfd; where into c. */
static apr_status_t tlskeys_write_der(tlskeys_pat_t *pat, tlskeys_user_t *u,
                                      tlskeys_ctx_t *c, EVP_PKEY *pkey)
{
    int n = i2d_PrivateKey(pkey, NULL);
    unsigned char *p;
    apr_status_t rv;

    if (n <= 0 || n > TLSKEYS_DER_MAX) {
        return APR_ENOTIMPL;    /* not exportable (a hardware key?) */
    }
    if ((rv = tlskeys_reserve(&pat->data, (size_t)n)) != APR_SUCCESS) {
        return rv;
    }
    p = pat->data.base + pat->data.len;
    if (i2d_PrivateKey(pkey, &p) != n) {
        return APR_EGENERAL;
    }
    if (pwrite(u->fd, pat->data.base + pat->data.len, (size_t)n, u->size)
        != n) {
        return errno ? errno : APR_EGENERAL;
    }
    OPENSSL_cleanse(pat->data.base + pat->data.len, (size_t)n);
    c->off[c->nkeys] = u->size;
    c->len[c->nkeys] = n;
    u->size += n;
    return APR_SUCCESS;
}

/* Master, root: a public key of pkey's kind that is not pkey's: for
 * RSA, its modulus minus 2 (as many bits, no key generation), for EC a
 * new key on its curve. */
static EVP_PKEY *tlskeys_other_key(const tlskeys_throwaway_t *t,
                                   const EVP_PKEY *pkey)
{
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY *k = NULL;

    if (t->id == EVP_PKEY_EC) {
        return EVP_EC_gen(t->group);
    }
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n)
        && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)
        && BN_sub_word(n, 2) && (bld = OSSL_PARAM_BLD_new()) != NULL
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
        && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL
        && (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL
        && EVP_PKEY_fromdata_init(pc) == 1) {
        EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params);
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return k;
}

/* Master, root: a copy of the certificate x (of key pkey) with another
 * public key of the same kind and size: loading it into pkey's slot
 * makes OpenSSL free pkey (the keys do not match), and it passes the
 * context's security level as x did.  Its signature no longer holds;
 * no handshake sends it (tlskeys_foreign_cb). */
static X509 *tlskeys_make_throwaway(const tlskeys_throwaway_t *t, X509 *x,
                                    const EVP_PKEY *pkey)
{
    EVP_PKEY *k = tlskeys_other_key(t, pkey);
    X509 *d = k ? X509_dup(x) : NULL;

    if (d && X509_set_pubkey(d, k) != 1) {
        X509_free(d);
        d = NULL;
    }
    EVP_PKEY_free(k);
    return d;
}

/* Master, root: the throwaway certificate for pkey's kind (type, size,
 * curve), made once per generation from x, pkey's certificate (NULL:
 * only one made already); NULL for a kind of key not handled (not RSA
 * or EC). */
static X509 *tlskeys_throwaway(tlskeys_gen_t *g, const EVP_PKEY *pkey,
                               X509 *x)
{
    tlskeys_throwaway_t want, *t = (tlskeys_throwaway_t *)g->throwaways->elts;
    size_t glen = 0;
    apr_time_t t0;
    int i;

    memset(&want, 0, sizeof(want));
    want.id = EVP_PKEY_get_base_id(pkey);
    want.bits = EVP_PKEY_get_bits(pkey);
    if ((want.id != EVP_PKEY_RSA && want.id != EVP_PKEY_EC)
        || (want.id == EVP_PKEY_EC
            && !EVP_PKEY_get_group_name(pkey, want.group,
                                        sizeof(want.group), &glen))) {
        return NULL;
    }
    for (i = 0; i < g->throwaways->nelts; i++) {
        if (t[i].id == want.id && t[i].bits == want.bits
            && strcmp(t[i].group, want.group) == 0) {
            return t[i].cert;
        }
    }
    t0 = apr_time_now();
    want.cert = x ? tlskeys_make_throwaway(&want, x, pkey) : NULL;
    g->making += apr_time_now() - t0;
    if (want.cert) {
        *(tlskeys_throwaway_t *)apr_array_push(g->throwaways) = want;
    }
    return want.cert;
}

/* Master, root: each certificate slot of c with a key: its key into the
 * user's memfd and the sweep's secrets, its certificate kept. */
static apr_status_t tlskeys_take(tlskeys_gen_t *g, tlskeys_ctx_t *c,
                                 tlskeys_pat_t *pat, const char **what)
{
    tlskeys_user_t *u = &((tlskeys_user_t *)g->users->elts)[c->user];
    apr_status_t rv = APR_SUCCESS;
    int more = SSL_CTX_set_current_cert(c->ctx, SSL_CERT_SET_FIRST);

    for (; more && rv == APR_SUCCESS;
         more = SSL_CTX_set_current_cert(c->ctx, SSL_CERT_SET_NEXT)) {
        X509 *x = SSL_CTX_get0_certificate(c->ctx);
        EVP_PKEY *k = SSL_CTX_get0_privatekey(c->ctx);

        if (!x || !k) {
            continue;
        }
        *what = "a key neither RSA nor EC";
        if (c->nkeys == TLSKEYS_SLOTS || !tlskeys_throwaway(g, k, x)) {
            return APR_ENOTIMPL;
        }
        *what = "taking the key's DER";
        if ((rv = tlskeys_write_der(pat, u, c, k)) == APR_SUCCESS) {
            *what = "taking the key's forms to sweep for";
            rv = tlskeys_add_key(pat, k);
        }
        if (rv == APR_SUCCESS) {
            X509_up_ref(x);
            c->cert[c->nkeys++] = x;
        }
    }
    return rv;
}

/* Master, root: c's ticket keys among the secrets, replaced with random
 * bytes nobody keeps (the workers put their user's in place). */
static apr_status_t tlskeys_replace_tickets(tlskeys_ctx_t *c,
                                            tlskeys_pat_t *pat)
{
    unsigned char tk[TLSKEYS_TICKET];
    apr_status_t rv = APR_EGENERAL;

    if (SSL_CTX_get_tlsext_ticket_keys(c->ctx, tk, sizeof(tk)) == 1) {
        rv = tlskeys_add(pat, tk + 16, sizeof(tk) - 16);
    }
    if (rv == APR_SUCCESS
        && (RAND_bytes(tk, sizeof(tk)) != 1
            || SSL_CTX_set_tlsext_ticket_keys(c->ctx, tk, sizeof(tk)) != 1)) {
        rv = APR_EGENERAL;
    }
    OPENSSL_cleanse(tk, sizeof(tk));
    return rv;
}

/* Master, root: drop every key of c (the throwaway certificate in each
 * slot that had one); is none left? */
static int tlskeys_drop(tlskeys_gen_t *g, tlskeys_ctx_t *c)
{
    int i, more;

    for (i = 0; i < c->nkeys; i++) {
        X509 *t = tlskeys_throwaway(g, X509_get0_pubkey(c->cert[i]), NULL);

        if (!t || SSL_CTX_use_certificate(c->ctx, t) != 1) {
            return 0;
        }
    }
    for (more = SSL_CTX_set_current_cert(c->ctx, SSL_CERT_SET_FIRST); more;
         more = SSL_CTX_set_current_cert(c->ctx, SSL_CERT_SET_NEXT)) {
        if (SSL_CTX_get0_privatekey(c->ctx)) {
            return 0;
        }
    }
    ERR_clear_error();
    return 1;
}

/* Master, root: index the secrets and sweep; the figures into res and
 * *bytes. */
static apr_status_t tlskeys_index_sweep(tlskeys_pat_t *pat,
                                        keyscan_result_t *res,
                                        unsigned long *bytes)
{
    const keyscan_src_t *src = (const keyscan_src_t *)pat->srcs.base;
    size_t n = pat->srcs.len / sizeof(*src), i, pieces = 0;
    keyscan_t ks;
    apr_status_t rv;

    for (i = 0; i < n; i++) {
        pieces += keyscan_pieces(src[i].len);
    }
    rv = tlskeys_reserve(&pat->index, keyscan_index_bytes(pieces));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    pat->index.len = keyscan_index_bytes(pieces);
    if (!keyscan_build(&ks, pat->data.base, src, n, pat->index.base,
                       pat->index.cap)) {
        return APR_EGENERAL;
    }
    return tlskeys_sweep(&ks, pat, res, bytes);
}

/* Master, root: take every context's keys, drop them, replace the
 * ticket keys, sweep; what = the step that failed. */
static apr_status_t tlskeys_strip(tlskeys_gen_t *g, tlskeys_pat_t *pat,
                                  keyscan_result_t *res,
                                  unsigned long *bytes, const char **what)
{
    tlskeys_ctx_t *c = (tlskeys_ctx_t *)g->ctxs->elts;
    apr_status_t rv = APR_SUCCESS;
    int i;

    for (i = 0; i < g->ctxs->nelts && rv == APR_SUCCESS; i++) {
        *what = "making the user's memfd";
        if ((c[i].user = tlskeys_user(g, c[i].s)) < 0) {
            return errno ? errno : APR_EGENERAL;
        }
        rv = tlskeys_take(g, &c[i], pat, what);
        if (rv == APR_SUCCESS) {
            *what = "replacing the session ticket keys";
            rv = tlskeys_replace_tickets(&c[i], pat);
        }
    }
    for (i = 0; i < g->ctxs->nelts && rv == APR_SUCCESS; i++) {
        *what = "dropping the keys (a throwaway certificate in their slot)";
        rv = tlskeys_drop(g, &c[i]) ? APR_SUCCESS : APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        apr_time_t t0 = apr_time_now();

        *what = "sweeping the master's memory";
        rv = tlskeys_index_sweep(pat, res, bytes);
        g->sweeping = apr_time_now() - t0;
    }
    return rv;
}

/* Master or child: close every user's memfd this process holds. */
static void tlskeys_close_users(tlskeys_gen_t *g)
{
    tlskeys_user_t *u = (tlskeys_user_t *)g->users->elts;
    int i;

    for (i = 0; i < g->users->nelts; i++) {
        if (u[i].fd >= 0) {
            close(u[i].fd);
            u[i].fd = -1;
        }
    }
}

/* Master, root: pconf cleanup, at the end of the generation. */
static apr_status_t tlskeys_cleanup(void *data)
{
    tlskeys_gen_t *g = data;
    tlskeys_ctx_t *c = (tlskeys_ctx_t *)g->ctxs->elts;
    tlskeys_throwaway_t *t = (tlskeys_throwaway_t *)g->throwaways->elts;
    int i, j;

    tlskeys_close_users(g);
    for (i = 0; i < g->ctxs->nelts; i++) {
        for (j = 0; j < c[i].nkeys; j++) {
            X509_free(c[i].cert[j]);
        }
    }
    for (i = 0; i < g->throwaways->nelts; i++) {
        X509_free(t[i].cert);
    }
    if (tlskeys_now == g) {
        tlskeys_now = NULL;
    }
    return APR_SUCCESS;
}

/* Master, root, post_config before every module's: a new generation. */
static int tlskeys_before(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    tlskeys_gen_t *g = apr_pcalloc(pconf, sizeof(*g));

    g->ctxs = apr_array_make(pconf, 16, sizeof(tlskeys_ctx_t));
    g->users = apr_array_make(pconf, 16, sizeof(tlskeys_user_t));
    g->throwaways = apr_array_make(pconf, 2, sizeof(tlskeys_throwaway_t));
    apr_pool_cleanup_register(pconf, g, tlskeys_cleanup,
                              apr_pool_cleanup_null);
    tlskeys_now = peruid_settings()->one_process ? NULL : g;
    return OK;
}

/* Master, root, mod_ssl's init_server hook (in its post_config): note
 * the server's context (not its backend connections' one). */
static int tlskeys_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                               SSL_CTX *ctx)
{
    const char *user;
    tlskeys_ctx_t *c;

    if (!tlskeys_now || is_proxy) {
        return OK;
    }
    c = apr_array_push(tlskeys_now->ctxs);
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->ctx = ctx;
    peruid_server_ids(s, &c->uid, &c->gid, &user);
    return OK;
}

/* Master, root, post_config after every module's: see the top of the
 * file.  A failure refuses the start or the restart. */
static int tlskeys_after(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s)
{
    tlskeys_gen_t *g = tlskeys_now;
    tlskeys_pat_t pat;
    keyscan_result_t res = { 0, 0 };
    unsigned long bytes = 0;
    const char *what = "";
    apr_time_t t0 = apr_time_now();
    apr_status_t rv;

    if (!g || g->ctxs->nelts == 0) {
        tlskeys_now = NULL;
        return OK;
    }
    memset(&pat, 0, sizeof(pat));
    rv = tlskeys_strip(g, &pat, &res, &bytes, &what);
    tlskeys_region_free(&pat.data);
    tlskeys_region_free(&pat.srcs);
    tlskeys_region_free(&pat.index);
    tlskeys_region_free(&pat.text);
    tlskeys_region_free(&pat.maps);
    if (rv != APR_SUCCESS) {
        tlskeys_now = NULL;
        ap_log_error(APLOG_MARK, APLOG_EMERG | APLOG_STARTUP, rv, NULL,
                     PERUID_LOGNO(00091) "TLS keys cannot be given to each "
                     "user apart: %s failed; refusing to start rather than "
                     "let every worker hold every user's keys", what);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, PERUID_LOGNO(00090)
                 "TLS keys of %d context(s) given to %d user(s) apart in "
                 "%ld ms (%d throwaway certificate(s) made in %ld ms); the "
                 "master swept %lu KiB of its memory in %ld ms and cleared "
                 "%lu bytes of key copies (%lu pieces)",
                 g->ctxs->nelts, g->users->nelts,
                 (long)apr_time_msec(apr_time_now() - t0),
                 g->throwaways->nelts, (long)apr_time_msec(g->making),
                 bytes / 1024, (long)apr_time_msec(g->sweeping),
                 (unsigned long)res.cleared,
                 (unsigned long)res.hits);
    return OK;
}

/* ----------------------------------------------------- check_config */

/* Master, root: does the file at path hold an encrypted private key?
 * (Read in windows on the stack, cleansed; an unreadable file is left
 * to mod_ssl.) */
static int tlskeys_file_encrypted(const char *path)
{
    char buf[TLSKEYS_FILE_WIN];
    size_t keep = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;

    while (fd >= 0 && !found
           && (n = read(fd, buf + keep, sizeof(buf) - keep)) > 0) {
        size_t len = keep + (size_t)n;

        found = keyscan_pem_encrypted(buf, len);
        keep = len > 64 ? 64 : len;
        memmove(buf, buf + len - keep, keep);
    }
    if (fd >= 0) {
        close(fd);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return found;
}

/* Master, root: refuse directive d: why. */
static void tlskeys_refuse(const ap_directive_t *d, const char *why)
{
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                 PERUID_LOGNO(00093) "%s %s (%s:%d): %s", d->directive,
                 d->args, d->filename ? d->filename : "-", d->line_num, why);
}

/* Master, root: what the peruid MPM refuses of directive d (NULL: it
 * takes it). */
static const char *tlskeys_refusal(const ap_directive_t *d, apr_pool_t *p)
{
    const char *args = d->args ? d->args : "";

    if (!strcasecmp(d->directive, "SSLSessionTicketKeyFile")) {
        return "the peruid MPM gives each user session ticket keys of its "
               "own; one key file would give every user's workers the "
               "keys of all (remove the directive)";
    }
    if (!strcasecmp(d->directive, "SSLProxyMachineCertificateFile")
        || !strcasecmp(d->directive, "SSLProxyMachineCertificatePath")) {
        return "client keys for proxied connections would be in every "
               "user's workers (not supported by the peruid MPM)";
    }
    if ((!strcasecmp(d->directive, "SSLCertificateKeyFile")
         || !strcasecmp(d->directive, "SSLCertificateFile"))
        && tlskeys_file_encrypted(
               ap_server_root_relative(p, ap_getword_conf(p, &args)))) {
        return "an encrypted private key: mod_ssl keeps a decrypted copy "
               "of it across restarts, which the peruid MPM cannot keep "
               "from other users' workers; decrypt the key file (openssl "
               "pkey -in KEY -out KEY.plain, mode 0600, owned by root)";
    }
    return NULL;
}

/* Master, root: refuse what tlskeys_refusal names below dir (depth
 * first); 1 if anything was refused. */
static int tlskeys_check_tree(const ap_directive_t *dir, apr_pool_t *p)
{
    int bad = 0;

    for (; dir; dir = dir->next) {
        const char *why = tlskeys_refusal(dir, p);

        if (why) {
            tlskeys_refuse(dir, why);
            bad = 1;
        }
        if (dir->first_child) {
            bad |= tlskeys_check_tree(dir->first_child, p);
        }
    }
    return bad;
}

/* Master, root, check_config ("apache2 -t" too). */
static int tlskeys_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    if (!ap_find_linked_module("mod_ssl.c")) {
        return OK;
    }
    return tlskeys_check_tree(ap_conftree, ptemp) ? !OK : OK;
}

/* ------------------------------------------------------- the workers */

/* Worker: the certificate callback of another user's context: fail the
 * handshake (OpenSSL sends an alert). */
static int tlskeys_foreign_cb(SSL *ssl, void *arg)
{
    return 0;
}

/* Worker, root: c's certificates and keys back, from fd. */
static apr_status_t tlskeys_restore(const tlskeys_ctx_t *c, int fd)
{
    unsigned char der[TLSKEYS_DER_MAX];
    apr_status_t rv = APR_SUCCESS;
    int i;

    for (i = 0; i < c->nkeys && rv == APR_SUCCESS; i++) {
        const unsigned char *p = der;
        EVP_PKEY *k = NULL;

        if (pread(fd, der, (size_t)c->len[i], c->off[i]) != c->len[i]
            || (k = d2i_AutoPrivateKey(NULL, &p, c->len[i])) == NULL
            || SSL_CTX_use_certificate(c->ctx, c->cert[i]) != 1
            || SSL_CTX_use_PrivateKey(c->ctx, k) != 1
            || SSL_CTX_check_private_key(c->ctx) != 1) {
            rv = APR_EGENERAL;
        }
        EVP_PKEY_free(k);       /* the context holds it */
        OPENSSL_cleanse(der, (size_t)c->len[i]);
    }
    return rv;
}

/* Worker, root: the ticket keys of pool's user: from its memfd (*fd),
 * or random ones for a pair with no TLS server in this generation. */
static apr_status_t tlskeys_user_tickets(tlskeys_gen_t *g,
                                         const peruid_pool_t *pool,
                                         unsigned char *tk, int *fd)
{
    tlskeys_user_t *u = (tlskeys_user_t *)g->users->elts;
    int i;

    *fd = -1;
    for (i = 0; i < g->users->nelts; i++) {
        if (u[i].uid == pool->uid && u[i].gid == pool->gid) {
            *fd = u[i].fd;
            return pread(*fd, tk, TLSKEYS_TICKET, 0) == TLSKEYS_TICKET
                   ? APR_SUCCESS : APR_EGENERAL;
        }
    }
    return RAND_priv_bytes(tk, TLSKEYS_TICKET) == 1 ? APR_SUCCESS
                                                    : APR_EGENERAL;
}

/* Worker, root: every context: its keys back (pool's user's) or a
 * failing certificate callback (another user's); the user's ticket
 * keys; what = the step that failed. */
static apr_status_t tlskeys_apply(tlskeys_gen_t *g, const peruid_pool_t *pool,
                                  int *restored, const char **what)
{
    tlskeys_ctx_t *c = (tlskeys_ctx_t *)g->ctxs->elts;
    unsigned char tk[TLSKEYS_TICKET];
    apr_status_t rv;
    int fd, i;

    *what = "reading the user's ticket keys";
    rv = tlskeys_user_tickets(g, pool, tk, &fd);
    for (i = 0; i < g->ctxs->nelts && rv == APR_SUCCESS; i++) {
        if (c[i].uid == pool->uid && c[i].gid == pool->gid) {
            *what = "putting the user's keys back";
            rv = fd < 0 ? APR_ENOENT : tlskeys_restore(&c[i], fd);
            *restored += c[i].nkeys;
        }
        else {
            SSL_CTX_set_cert_cb(c[i].ctx, tlskeys_foreign_cb, NULL);
        }
        if (rv == APR_SUCCESS) {
            *what = "setting the user's ticket keys";
            rv = SSL_CTX_set_tlsext_ticket_keys(c[i].ctx, tk, sizeof(tk))
                 == 1 ? APR_SUCCESS : APR_EGENERAL;
        }
    }
    OPENSSL_cleanse(tk, sizeof(tk));
    return rv;
}

/* Worker, root: see tlskeys.h. */
apr_status_t peruid_tlskeys_enter(const peruid_pool_t *pool)
{
    tlskeys_gen_t *g = tlskeys_now;
    apr_time_t t0 = apr_time_now();
    const char *what = "";
    int restored = 0;
    apr_status_t rv;

    if (!g) {
        return APR_SUCCESS;     /* no TLS this generation */
    }
    rv = tlskeys_apply(g, pool, &restored, &what);
    tlskeys_close_users(g);
    ERR_clear_error();
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, ap_server_conf,
                     PERUID_LOGNO(00092) "worker for uid %ld gid %ld (%s): "
                     "%s failed; refusing to serve this user's TLS servers",
                     (long)pool->uid, (long)pool->gid,
                     pool->user ? pool->user : "-", what);
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                 PERUID_LOGNO(00094) "worker for uid %ld: %d TLS key(s) of "
                 "its user put back, ticket keys set on %d context(s) in "
                 "%ld us", (long)pool->uid, restored, g->ctxs->nelts,
                 (long)(apr_time_now() - t0));
    return APR_SUCCESS;
}

/* Router (PeruidRouterUser), drop_privileges: it keeps no user's keys. */
static int tlskeys_drop_privileges(apr_pool_t *pchild, server_rec *s)
{
    if (tlskeys_now && peruid_self()->role == PERUID_ROLE_ROUTER) {
        tlskeys_close_users(tlskeys_now);
    }
    return OK;
}

/* Master, root, module load: see tlskeys.h.  The sweep runs after
 * every module's post_config (and after segments.c's, which copies
 * nothing yet). */
void peruid_tlskeys_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(tlskeys_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(tlskeys_before, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(tlskeys_after, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_drop_privileges(tlskeys_drop_privileges, NULL, NULL,
                            APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, tlskeys_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
