/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * sbcopy.h -- a worker's scoreboard of its own (sbcopy.c).
 */

#ifndef PERUID_SBCOPY_H
#define PERUID_SBCOPY_H

#include "apr.h"
#include "apr_errno.h"

/* Worker, root, before its switch (and before any module code of its
 * user runs): replace, in this process only, httpd's shared scoreboard
 * by private memory at the same address that holds the global record,
 * this worker's process record (slot) and its worker record, and
 * nothing of any other process.  From then on the worker writes its
 * status where no other process reads it, and reads no other process's
 * request line.  Logs and returns the error on failure: the caller ends
 * the worker. */
apr_status_t peruid_sbcopy_enter(int slot);

#endif /* PERUID_SBCOPY_H */
