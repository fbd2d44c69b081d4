<?php
// The attacker fixture of t/handover.t: a tenant with native code (PHP's
// FFI, enabled for its vhost only) hands its own client connection back
// to the routers over its pool's back channel, as a worker does
// (handover.c), with a replay of its choosing and the hop count
// ?hops=N: the replay asks for this script again with hops=N+1, so each
// pass goes through a router once more, until a router refuses it (503).
// ?pool=I is the record's pool index (the back channel's own, which the
// router checks); ?target=J names pool J as the one the request needs
// (the router sends it there: a worker of that pool double-checks it);
// ?next=PATH replays a request for PATH instead of this script, ?host=H
// with Host H; ?uid=U&gid=G names the user U, group G instead of a pool
// (an AssignUserIDExpr's result, as handover.c's
// peruid_handover_request_user: target 0xffffffff, the ids in the
// deadline field; t/itk_expr.t).  Afterwards the worker's descriptor for the client is
// /dev/null, so httpd's own answer to this request goes nowhere: the
// client sees only what the routers and the next workers answer.
// Prints nothing to the client itself; logs "loop pass N" to stderr.
$hops = (int)($_GET['hops'] ?? 1);
$pool = (int)($_GET['pool'] ?? 1);
$target = isset($_GET['target']) ? (int)$_GET['target'] + 1 : 0;
$next = (string)($_GET['next'] ?? '');
$host = (string)($_GET['host'] ?? ($_SERVER['HTTP_HOST'] ?? 'evil.test'));
$user = isset($_GET['uid']) ? [(int)$_GET['uid'], (int)($_GET['gid'] ?? 0)]
                            : null;
$ffi = FFI::cdef('
    typedef struct { void *base; unsigned long len; } iov_t;
    typedef struct { void *name; unsigned int namelen; iov_t *iov;
                     unsigned long iovlen; void *control;
                     unsigned long controllen; int flags; } msghdr_t;
    typedef struct { unsigned long len; int level; int type; int fds[2]; }
        cmsg_t;
    typedef struct { unsigned int magic; unsigned short version;
                     unsigned short type; unsigned int pool;
                     unsigned int generation; unsigned long deadline;
                     unsigned int hops; unsigned int target; } rec_t;
    long sendmsg(int fd, const msghdr_t *m, int flags);
    int memfd_create(const char *name, unsigned int flags);
    long write(int fd, const void *buf, unsigned long n);
    int fcntl(int fd, int cmd, int arg);
    int getsockopt(int fd, int level, int opt, void *v, unsigned int *n);
    int open(const char *path, int flags);
    int dup2(int from, int to);
');

function sockopt($ffi, $fd, $opt) {
    $v = $ffi->new('int');
    $n = $ffi->new('unsigned int');
    $n->cdata = 4;
    return $ffi->getsockopt($fd, 1, $opt, FFI::addr($v), FFI::addr($n)) == 0
        ? $v->cdata : -1;
}

// the client (TCP: SO_DOMAIN 2 or 10, SO_TYPE 1) and the back channel
// (the worker's only SOCK_SEQPACKET, 5: its end of the pool's channel,
// whose other direction the back channel is)
$client = $back = -1;
foreach (scandir('/proc/self/fd') as $fd) {
    if (!ctype_digit($fd)
        || !str_starts_with((string)@readlink("/proc/self/fd/$fd"), 'socket:')) {
        continue;
    }
    $fd = (int)$fd;
    $domain = sockopt($ffi, $fd, 39);
    $type = sockopt($ffi, $fd, 3);
    if (($domain == 2 || $domain == 10) && $type == 1 && $client < 0) {
        $client = $fd;
    }
    elseif ($domain == 1 && $type == 5 && $back < 0) {
        $back = $fd;
    }
}
$path = $next !== '' ? $next
      : "/handover_loop.php?hops=" . ($hops + 1) . "&pool=$pool";
$replay = "GET $path HTTP/1.1\r\nHost: $host\r\n\r\n";
$m = $ffi->memfd_create('evil', 3);             // CLOEXEC | ALLOW_SEALING
$ffi->write($m, $replay, strlen($replay));
$ffi->fcntl($m, 1033, 0x8 | 0x2 | 0x4);         // F_ADD_SEALS
$rec = $ffi->new('rec_t');
$rec->magic = 0x50525544;
$rec->version = 3;
$rec->type = 4;                                 // HANDOVER
$rec->pool = $pool;
$rec->hops = $hops;
$rec->target = $target;
if ($user) {
    $rec->target = 0xffffffff;                  // a user, not a pool
    $rec->deadline = ($user[0] << 32) | $user[1];
}
$cm = $ffi->new('cmsg_t');
$cm->len = 24;
$cm->level = 1;                                 // SOL_SOCKET
$cm->type = 1;                                  // SCM_RIGHTS
$cm->fds[0] = $client;
$cm->fds[1] = $m;
$iov = $ffi->new('iov_t');
$iov->base = FFI::addr($rec);
$iov->len = 32;
$mh = $ffi->new('msghdr_t');
$mh->iov = FFI::addr($iov);
$mh->iovlen = 1;
$mh->control = FFI::addr($cm);
$mh->controllen = 24;
$sent = $ffi->sendmsg($back, FFI::addr($mh), 0x4000);  // MSG_NOSIGNAL
error_log("loop pass $hops: client fd $client, back channel fd $back, "
          . "sendmsg $sent");
if ($client >= 0) {
    $ffi->dup2($ffi->open('/dev/null', 1), $client);
}
