/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tlskeys.h -- each user's TLS private keys and session ticket keys in
 * that user's workers only.
 *
 * Master, root, post_config, every generation: mod_ssl's init_server
 * hook hands over each server's SSL_CTX; once every module's post_config
 * has run, the master writes each context's private keys (DER) into a
 * memfd of the server's user/group pair, with random session ticket keys
 * of that pair, and keeps no copy in its own memory: it drops every key
 * from every context (a throwaway certificate of the same type, whose
 * key does not match, makes OpenSSL free and clear it), replaces every
 * context's ticket keys, and sweeps its own writable private memory for
 * copies of all of them (keyscan.c: the private BIGNUMs in both byte
 * orders, the base64 lines of both PEM forms, the ticket keys), zeroing
 * what it finds.  Children forked after that (routers, workers,
 * preforked workers) inherit no key.
 *
 * Worker (or preforked worker once bound), root, before its switch: puts
 * its user's certificates and keys back into its user's contexts, gives
 * every context its user's ticket keys, makes the other users' contexts
 * fail any handshake (a certificate callback that fails: a TLS alert),
 * and closes every user's memfd.  Routers close them all.
 *
 * Refused at "apache2 -t": encrypted private keys (mod_ssl keeps their
 * DER in a table of its own across restarts), SSLSessionTicketKeyFile
 * and SSLProxyMachineCertificateFile/Path (keys this scheme does not
 * reach).
 */

#ifndef PERUID_TLSKEYS_H
#define PERUID_TLSKEYS_H

#include "peruid.h"

/* Master, root, module load: the post_config, check_config,
 * drop_privileges and mod_ssl init_server hooks. */
void peruid_tlskeys_register_hooks(apr_pool_t *p);

/* Worker (or preforked worker once bound), root, before the switch: see
 * above.  Any failure is logged (PU00092) and must end the worker before
 * it switches: it would serve with no key, or with ticket keys every
 * user's workers hold. */
apr_status_t peruid_tlskeys_enter(const peruid_pool_t *pool);

#endif /* PERUID_TLSKEYS_H */
