// glue.h: the JS-glue imports the rich test process calls directly, per AO
// Module-Format.
//
// Debian's emscripten 3.1.6 links some libc functions to JS library imports
// that the ao-loader glue of a format does not provide (time, clock,
// __syscall_open, ...), or provides under another name or signature. glue.c
// replaces those libc functions with C that calls exactly the imports the
// format's glue offers, with the signature the glue expects. Build with
// -DAO_FMT=1, 2 or 3.
//
// Import names here are the unminified ones; for fmt1 (module "a", one-letter
// names) tools/wasmpost.js renames them after linking.
#ifndef AOGO_TESTDATA_GLUE_H
#define AOGO_TESTDATA_GLUE_H

#include <stdint.h>
#include <time.h>

#ifndef AO_FMT
#error "define AO_FMT (1, 2 or 3)"
#endif

#define AO_IMPORT(name) __attribute__((import_module("env"), import_name(name)))

// Milliseconds since the epoch. fmt1 and fmt2 glue return 0; fmt3 glue returns
// the global Date.now counter (10000, 10001, ...).
#if AO_FMT == 3
AO_IMPORT("emscripten_date_now") double glue_date_now(void);
#else
AO_IMPORT("_emscripten_date_now") double glue_date_now(void);
#endif

// Monotonic milliseconds. Not offered by the fmt1 glue. fmt2 glue returns NaN
// (its process.hrtime is replaced by Date.now, which returns a number), fmt3
// the Date.now counter.
#if AO_FMT >= 2
#define GLUE_HAS_GET_NOW 1
AO_IMPORT("emscripten_get_now") double glue_get_now(void);
#endif

// Fills tm_sec..tm_yday (not isdst, gmtoff, zone) from a time_t: fmt1/fmt2 pass
// a pointer to a 32-bit time_t, fmt3 the 64-bit time_t as (lo, hi).
#if AO_FMT == 3
AO_IMPORT("_gmtime_js") void glue_gmtime_js(int32_t lo, int32_t hi, struct tm *tm);
#else
AO_IMPORT("_gmtime_js") void glue_gmtime_js(const int32_t *t, struct tm *tm);
#endif

// The glue's JS strftime (all three formats). It reads tm_zone at offset 40.
AO_IMPORT("strftime") uint32_t glue_strftime(char *s, uint32_t max, const char *fmt, const struct tm *tm);

// open(2): all three glues offer only openat.
AO_IMPORT("__syscall_openat") long glue_openat(long dirfd, const char *path, long flags, void *varargs);

#if AO_FMT == 3
// fmt3 has no "system" import; libc system() calls this and returns -errno.
AO_IMPORT("_emscripten_system") int glue_system(const char *cmd);
#endif

// ao_gmtime_r is gmtime_r without tzset(): emscripten 3.1.6's gmtime_r calls
// _tzset_js, which mallocs zone names taken from the host's time zone.
struct tm *ao_gmtime_r(const time_t *t, struct tm *tm);

#endif
