/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * peruid_logno.h -- the project's own log tags.
 *
 * httpd's APLOGNO(n) numbers ("AH00163") belong to httpd itself; peruid's
 * messages carry PERUID_LOGNO(n), printed as "PU00042: ".  Take the next
 * number from the counter below and raise it in the same commit.
 *
 *     Next free number: 00160 (every number below it is taken or given out)
 */

#ifndef PERUID_LOGNO_H
#define PERUID_LOGNO_H

#define PERUID_LOGNO(n) "PU" #n ": "

#endif /* PERUID_LOGNO_H */
