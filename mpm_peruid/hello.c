/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * hello.c -- parse the peeked TLS ClientHello (see hello.h).
 *
 * Runs in the routers (PeruidRouterUser, no capabilities) on untrusted
 * bytes.  Every index is bounded by len; buf is never written; the only
 * copy is the host_name, into the caller's hello_t.  Each byte is looked
 * at once or skipped, so the work is O(len) whatever the lengths claim.
 *
 * What is read, and the rule that each check mirrors (OpenSSL 3.0.22:
 * ssl/record/ssl3_record.c, ssl/statem/statem_srvr.c, extensions.c,
 * extensions_srvr.c; RFCs 8446, 6066, 8701):
 *
 *   records   type 22 (handshake).  First byte not 22: HELLO_NOT_TLS, as
 *             is a second byte other than 3 (ssl3_get_record: "doesn't
 *             look like TLS", answered without an alert).  Version 3.1 to
 *             3.3, and 3.0 in the first record only: what real clients
 *             send (OpenSSL allows any 3.x until the first message is
 *             read: we are narrower).  Length 1 to 16384 (RFC 8446 5.1;
 *             ssl3_get_record's SSL_R_DATA_LENGTH_TOO_LONG).  An empty
 *             record is refused (RFC 8446 5.1 forbids empty handshake
 *             fragments; OpenSSL lets up to 32 pass).  A record of
 *             another type before the ClientHello is complete is BAD.
 *   handshake type client_hello (1), length at most 131396 (statem_srvr.c
 *             CLIENT_HELLO_MAX_LENGTH), reassembled across any number of
 *             records; what follows the message is not looked at.
 *   body      (tls_process_client_hello) legacy_version 3.1 or more: this
 *             OpenSSL has no SSLv3 (ssl_choose_server_version refuses
 *             anything lower); a session_id of at most 32 bytes; cipher
 *             suites not empty and of even length (ssl_cache_cipherlist);
 *             compression methods including null (tls_early_post_process_
 *             client_hello, SSL_R_NO_COMPRESSION_SPECIFIED; TLS 1.3's
 *             "null alone" depends on the version the worker negotiates,
 *             and is left to it, as are the other extensions' contents
 *             and every rule of the vhost's configuration); either no
 *             extensions block at all or one that ends exactly with the
 *             message.  GREASE values (RFC 8701) need no care: cipher
 *             suites and unknown extensions are skipped unread.
 *   extensions (tls_collect_extensions) each type/length within the
 *             block; a second copy of an extension OpenSSL knows is BAD
 *             (unknown ones, GREASE included, may repeat, as in OpenSSL);
 *             use_srtp (14) is BAD (DTLS only: verify_extension refuses it
 *             on TLS); pre_shared_key (41) must be the last.
 *   server_name (tls_parse_ctos_server_name) a list that fills the
 *             extension exactly and is not empty, holding exactly one
 *             entry, of type host_name (0); a name of at most 255 bytes
 *             without a NUL byte.  Stricter than OpenSSL (the name goes to
 *             the router's logs and vhost lookup): it must not be empty
 *             and hold only letters, digits, '-', '.' and '_', the bytes
 *             of DNS names as clients send them (RFC 6066 3: ASCII, IDNs
 *             as A-labels); no label may be empty but a final "." may end
 *             it.  So controls and DEL (log injection, terminal escapes),
 *             space and '"' (split log fields), '/', '\' and "..", a
 *             leading "." (paths), ':' (ports; RFC 6066 forbids address
 *             literals), '%' and bytes of 0x80 and more are all BAD.
 *             OpenSSL skips the name's checks on a TLS 1.2 resumption;
 *             the router cannot know about resumption and always checks.
 *
 * SSLv2-compatible ClientHello (first byte with the high bit set, third
 * byte 1): OpenSSL 3.0 still accepts one as the first record (for TLS up
 * to 1.2), and it carries no extensions, so mod_ssl serves it as a
 * ClientHello without SNI: HELLO_NO_SNI, once well formed as OpenSSL wants
 * it (record length at least 9, version 3.1 or more, cipher specs a
 * non-empty multiple of 3, session_id at most 32, the lengths adding up
 * to the record).  openssl s_server 3.0 completes a handshake from such
 * a hello when its ciphers allow (SECLEVEL=0); at the default level it
 * refuses it for want of a shared cipher: the vhost's configuration, the
 * worker's business.  Calling it HELLO_NOT_TLS would hand a TLS client to
 * the path meant for plain HTTP.  With a third byte other than 1 it is
 * not a ClientHello at all: HELLO_NOT_TLS.
 */

#include <string.h>

#include "hello.h"

#define HELLO_REC_HANDSHAKE  22
#define HELLO_REC_HEADER     5
#define HELLO_REC_MAX        16384      /* 2^14, RFC 8446 5.1 */
#define HELLO_HS_CLIENT      1
#define HELLO_MSG_MAX        131396     /* CLIENT_HELLO_MAX_LENGTH */
#define HELLO_TLS10          0x0301
#define HELLO_SESSION_ID_MAX 32
#define HELLO_NAME_MAX       (HELLO_NAME_SIZE - 1)
#define HELLO_V2_MIN         9          /* MIN_SSL2_RECORD_LEN */

#define HELLO_EXT_SERVER_NAME 0
#define HELLO_EXT_USE_SRTP    14
#define HELLO_EXT_PSK         41

/* The extensions OpenSSL 3.0 knows on a server (ext_defs in extensions.c,
 * as Debian builds it: SRP, OCSP, NPN, SRTP and CT all in), whose repeats
 * tls_collect_extensions refuses. */
static const unsigned int hello_known_ext[] = {
    0xff01, 0, 1, 12, 11, 10, 35, 5, 13172, 16, 14, 22, 18, 23, 50, 49,
    13, 43, 45, 51, 44, 0xfde8, 42, 47, 21, 41
};

/* A reading position in the handshake bytes, which lie in the payloads of
 * consecutive records. */
typedef struct {
    const unsigned char *buf;
    size_t len;
    size_t pos;             /* next byte of buf                          */
    size_t rec_left;        /* payload bytes of the current record left  */
    size_t records;         /* record headers read                       */
    size_t hs;              /* handshake bytes consumed                  */
    hello_result_e stop;    /* HELLO_MORE or HELLO_BAD once it stopped   */
    const char *reason;     /* why HELLO_BAD                             */
} hello_cur_t;

/* Router, unprivileged: stop reading with HELLO_BAD, for the reason why. */
static int hello_bad(hello_cur_t *c, const char *why)
{
    c->stop = HELLO_BAD;
    c->reason = why;
    return -1;
}

/* Router, unprivileged: stop reading, the bytes so far being a prefix. */
static int hello_more(hello_cur_t *c)
{
    c->stop = HELLO_MORE;
    return -1;
}

/* Router, unprivileged: read the header of the next record, which must
 * carry more of the handshake. */
static int hello_record(hello_cur_t *c)
{
    const unsigned char *p = c->buf + c->pos;
    unsigned int minor_min = c->records == 0 ? 0 : 1;
    size_t n;

    if (c->len - c->pos < HELLO_REC_HEADER) {
        return hello_more(c);
    }
    if (p[0] != HELLO_REC_HANDSHAKE) {
        return hello_bad(c, "a record of another type inside the "
                            "ClientHello");
    }
    if (p[1] != 3 || p[2] < minor_min || p[2] > 3) {
        return hello_bad(c, "record version not TLS 1.0 to 1.2");
    }
    n = ((size_t)p[3] << 8) | p[4];
    if (n == 0) {
        return hello_bad(c, "empty handshake record");
    }
    if (n > HELLO_REC_MAX) {
        return hello_bad(c, "record longer than 16384 bytes");
    }
    c->pos += HELLO_REC_HEADER;
    c->rec_left = n;
    c->records++;
    return 0;
}

/* Router, unprivileged: skip n handshake bytes, across records. */
static int hello_skip(hello_cur_t *c, size_t n)
{
    while (n > 0) {
        size_t take;

        if (c->rec_left == 0 && hello_record(c) < 0) {
            return -1;
        }
        take = c->len - c->pos;
        if (take == 0) {
            return hello_more(c);
        }
        if (take > c->rec_left) {
            take = c->rec_left;
        }
        if (take > n) {
            take = n;
        }
        c->pos += take;
        c->rec_left -= take;
        c->hs += take;
        n -= take;
    }
    return 0;
}

/* Router, unprivileged: the next handshake byte. */
static int hello_byte(hello_cur_t *c, unsigned int *b)
{
    if (c->rec_left == 0 && hello_record(c) < 0) {
        return -1;
    }
    if (c->pos == c->len) {
        return hello_more(c);
    }
    *b = c->buf[c->pos];
    c->pos++;
    c->rec_left--;
    c->hs++;
    return 0;
}

/* Router, unprivileged: a big-endian number of n bytes (n <= 3) that must
 * end by the handshake offset end. */
static int hello_uint(hello_cur_t *c, size_t n, size_t end, size_t *v)
{
    unsigned int b;

    if (end - c->hs < n) {
        return hello_bad(c, "a field past the end of its vector");
    }
    for (*v = 0; n > 0; n--) {
        if (hello_byte(c, &b) < 0) {
            return -1;
        }
        *v = (*v << 8) | b;
    }
    return 0;
}

/* Router, unprivileged: a vector's length prefix of n bytes; *vend is
 * where the vector ends, which must be by end. */
static int hello_vector(hello_cur_t *c, size_t n, size_t end, size_t *vend)
{
    size_t v;

    if (hello_uint(c, n, end, &v) < 0) {
        return -1;
    }
    if (end - c->hs < v) {
        return hello_bad(c, "a vector past the end of its container");
    }
    *vend = c->hs + v;
    return 0;
}

/* Router, unprivileged: may byte b follow byte prev (0 at the start) in
 * a host_name? */
static int hello_name_byte_ok(unsigned int b, unsigned int prev)
{
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
        || (b >= '0' && b <= '9') || b == '-' || b == '_') {
        return 1;
    }
    return b == '.' && prev != 0 && prev != '.';
}

/* Router, unprivileged: copy the host_name of n bytes into h. */
static int hello_name(hello_cur_t *c, size_t n, hello_t *h)
{
    unsigned int b = 0, prev = 0;
    size_t i;

    if (n == 0) {
        return hello_bad(c, "empty host_name");
    }
    if (n > HELLO_NAME_MAX) {
        return hello_bad(c, "host_name longer than 255 bytes");
    }
    for (i = 0; i < n; i++, prev = b) {
        if (hello_byte(c, &b) < 0) {
            return -1;
        }
        if (b == 0) {
            return hello_bad(c, "NUL byte in host_name");
        }
        if (!hello_name_byte_ok(b, prev)) {
            return hello_bad(c, "host_name holds a byte not allowed in "
                                "a DNS name, or an empty label");
        }
        h->name[i] = (char)b;
    }
    h->name[n] = '\0';
    h->name_len = n;
    return 0;
}

/* Router, unprivileged: the server_name extension's data, ending at end
 * (tls_parse_ctos_server_name). */
static int hello_server_name(hello_cur_t *c, size_t end, hello_t *h)
{
    size_t list_end, name_end, type;

    if (hello_vector(c, 2, end, &list_end) < 0) {
        return -1;
    }
    if (list_end != end) {
        return hello_bad(c, "server_name list does not fill its "
                            "extension");
    }
    if (list_end == c->hs) {
        return hello_bad(c, "empty server_name list");
    }
    if (hello_uint(c, 1, list_end, &type) < 0) {
        return -1;
    }
    if (type != 0) {
        return hello_bad(c, "server_name entry not a host_name");
    }
    if (hello_vector(c, 2, list_end, &name_end) < 0) {
        return -1;
    }
    if (name_end != list_end) {
        return hello_bad(c, "more than one server_name entry");
    }
    return hello_name(c, name_end - c->hs, h);
}

/* Router, unprivileged: index of type among the extensions OpenSSL
 * knows, or -1. */
static int hello_known_index(size_t type)
{
    size_t i;

    for (i = 0; i < sizeof(hello_known_ext) / sizeof(hello_known_ext[0]);
         i++) {
        if (hello_known_ext[i] == type) {
            return (int)i;
        }
    }
    return -1;
}

/* Router, unprivileged: one extension of the block ending at block_end;
 * seen holds a bit per known extension met before. */
static int hello_extension(hello_cur_t *c, size_t block_end,
                           unsigned long *seen, hello_t *h)
{
    size_t type, ext_end;
    int k;

    if (hello_uint(c, 2, block_end, &type) < 0
        || hello_vector(c, 2, block_end, &ext_end) < 0) {
        return -1;
    }
    k = hello_known_index(type);
    if (k >= 0 && (*seen & (1UL << k)) != 0) {
        return hello_bad(c, "an extension sent twice");
    }
    if (k >= 0) {
        *seen |= 1UL << k;
    }
    if (type == HELLO_EXT_USE_SRTP) {
        return hello_bad(c, "use_srtp, a DTLS extension");
    }
    if (type == HELLO_EXT_PSK && ext_end != block_end) {
        return hello_bad(c, "pre_shared_key not the last extension");
    }
    if (type == HELLO_EXT_SERVER_NAME) {
        return hello_server_name(c, ext_end, h);
    }
    return hello_skip(c, ext_end - c->hs);
}

/* Router, unprivileged: the fixed part of the ClientHello up to the
 * compression methods, ending by end. */
static int hello_fixed(hello_cur_t *c, size_t end)
{
    size_t v, vend;
    unsigned int b;
    int null_seen = 0;

    if (hello_uint(c, 2, end, &v) < 0) {
        return -1;
    }
    if (v < HELLO_TLS10) {
        return hello_bad(c, "legacy_version below TLS 1.0");
    }
    if (end - c->hs < 32) {
        return hello_bad(c, "ClientHello shorter than its random");
    }
    if (hello_skip(c, 32) < 0 || hello_vector(c, 1, end, &vend) < 0) {
        return -1;
    }
    if (vend - c->hs > HELLO_SESSION_ID_MAX) {
        return hello_bad(c, "session_id longer than 32 bytes");
    }
    if (hello_skip(c, vend - c->hs) < 0
        || hello_vector(c, 2, end, &vend) < 0) {
        return -1;
    }
    if (vend == c->hs || (vend - c->hs) % 2 != 0) {
        return hello_bad(c, "cipher_suites empty or of odd length");
    }
    if (hello_skip(c, vend - c->hs) < 0
        || hello_vector(c, 1, end, &vend) < 0) {
        return -1;
    }
    while (c->hs < vend) {
        if (hello_byte(c, &b) < 0) {
            return -1;
        }
        null_seen |= b == 0;
    }
    return null_seen ? 0 : hello_bad(c, "no null compression method");
}

/* Router, unprivileged: the ClientHello message from its handshake
 * header on; HELLO_SNI or HELLO_NO_SNI once it is all in. */
static hello_result_e hello_message(hello_cur_t *c, hello_t *h)
{
    size_t type, n, end, block_end;
    unsigned long seen = 0;

    if (hello_uint(c, 1, 4, &type) < 0 || hello_uint(c, 3, 4, &n) < 0) {
        return c->stop;
    }
    if (type != HELLO_HS_CLIENT) {
        hello_bad(c, "handshake message not a ClientHello");
        return c->stop;
    }
    if (n > HELLO_MSG_MAX) {
        hello_bad(c, "ClientHello longer than OpenSSL reads");
        return c->stop;
    }
    end = c->hs + n;
    if (hello_fixed(c, end) < 0) {
        return c->stop;
    }
    if (c->hs == end) {
        return HELLO_NO_SNI;        /* no extensions block at all */
    }
    if (hello_vector(c, 2, end, &block_end) < 0) {
        return c->stop;
    }
    if (block_end != end) {
        hello_bad(c, "bytes after the extensions block");
        return c->stop;
    }
    while (c->hs < block_end) {
        if (hello_extension(c, block_end, &seen, h) < 0) {
            return c->stop;
        }
    }
    return h->name_len > 0 ? HELLO_SNI : HELLO_NO_SNI;
}

/* Router, unprivileged: is the SSLv2-compatible ClientHello whose 11
 * first bytes are b (record length rlen) well formed, as OpenSSL wants? */
static int hello_sslv2_ok(const unsigned char *b, size_t rlen)
{
    size_t version = ((size_t)b[3] << 8) | b[4];
    size_t ciphers = ((size_t)b[5] << 8) | b[6];
    size_t sid = ((size_t)b[7] << 8) | b[8];
    size_t challenge = ((size_t)b[9] << 8) | b[10];

    return version >= HELLO_TLS10 && (version >> 8) == 3
           && sid <= HELLO_SESSION_ID_MAX && ciphers > 0
           && ciphers % 3 == 0
           && HELLO_V2_MIN + ciphers + sid + challenge == rlen;
}

/* Router, unprivileged: an SSLv2-compatible ClientHello (see the top of
 * this file; tls_process_client_hello's isv2 branch). */
static hello_result_e hello_sslv2(const unsigned char *b, size_t len,
                                  hello_t *h)
{
    size_t rlen;

    if (len < 3) {
        return HELLO_MORE;
    }
    if (b[2] != 1) {
        h->reason = "high bit set but not an SSLv2 ClientHello";
        return HELLO_NOT_TLS;
    }
    rlen = ((size_t)(b[0] & 0x7f) << 8) | b[1];
    if (rlen >= HELLO_V2_MIN && len < 2 + HELLO_V2_MIN) {
        return HELLO_MORE;
    }
    if (rlen < HELLO_V2_MIN || !hello_sslv2_ok(b, rlen)) {
        h->reason = "malformed SSLv2-compatible ClientHello";
        return HELLO_BAD;
    }
    return len < 2 + rlen ? HELLO_MORE : HELLO_NO_SNI;
}

/* Router, unprivileged: the answer from the first bytes and the rest. */
static hello_result_e hello_decide(const unsigned char *b, size_t len,
                                   hello_t *h)
{
    hello_cur_t c;
    hello_result_e r;

    if (len == 0) {
        return HELLO_MORE;
    }
    if (b[0] & 0x80) {
        return hello_sslv2(b, len, h);
    }
    if (b[0] != HELLO_REC_HANDSHAKE) {
        h->reason = "first byte not a TLS handshake record";
        return HELLO_NOT_TLS;
    }
    if (len < 2) {
        return HELLO_MORE;
    }
    if (b[1] != 3) {
        h->reason = "record version not TLS";
        return HELLO_NOT_TLS;
    }
    memset(&c, 0, sizeof(c));
    c.buf = b;
    c.len = len;
    c.stop = HELLO_MORE;
    r = hello_message(&c, h);
    h->reason = r == HELLO_BAD ? c.reason : NULL;
    return r;
}

/* Router, unprivileged: see hello.h. */
hello_result_e peruid_hello_parse(const void *buf, size_t len, size_t max,
                                  hello_t *h)
{
    hello_result_e r;

    memset(h, 0, sizeof(*h));
    r = hello_decide(buf, len, h);
    if (r != HELLO_SNI) {
        memset(h->name, 0, sizeof(h->name));
        h->name_len = 0;
    }
    if (r == HELLO_MORE && len >= max) {
        h->reason = "ClientHello still incomplete at the byte bound";
        return HELLO_BAD;
    }
    return r;
}
