// json.h: a small JSON scanner and writer for the test processes.
//
// The scanner reads the message and env strings that ao-loader passes to
// handle() (JSON.stringify output, but any valid JSON is accepted). It never
// allocates while scanning: it returns pointers into the input. Only
// json_string() allocates, to hold a decoded string.
#ifndef AOGO_TESTDATA_JSON_H
#define AOGO_TESTDATA_JSON_H

#include <stddef.h>

// json_ws skips JSON whitespace.
const char *json_ws(const char *p);

// json_skip returns the first byte after the JSON value starting at p
// (leading whitespace allowed), or NULL if the value is malformed.
const char *json_skip(const char *p);

// json_member returns the value of member key in the object at obj, or NULL
// if obj is not an object or has no such member. Duplicate keys: the first
// one wins.
const char *json_member(const char *obj, const char *key);

// json_string decodes the string value at p into a new NUL-terminated
// malloc'ed buffer (escapes decoded, \u surrogate pairs joined, lone
// surrogates become U+FFFD) and stores its length in *len. It returns NULL if
// the value at p is not a string (null, number, ...) or on allocation failure.
char *json_string(const char *p, size_t *len);

// json_number parses the number at p as a double. It returns 0 if the value is
// not a number.
int json_number(const char *p, double *out);

// json_tag returns the decoded value of the first tag named name in the
// message's "Tags" array ([{"name":..,"value":..}]), or NULL.
char *json_tag(const char *msg, const char *name, size_t *len);

// sb is a growable output buffer. All writers are no-ops once an allocation
// failed (oom set).
typedef struct {
  char *buf;
  size_t len, cap;
  int oom;
} sb;

void sb_reset(sb *b);
void sb_putn(sb *b, const char *s, size_t n);
void sb_puts(sb *b, const char *s);
void sb_putc(sb *b, char c);
void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// sb_jstr writes s as a quoted JSON string. Bytes < 0x20, '"' and '\\' are
// escaped; other bytes (UTF-8) are copied unchanged.
void sb_jstr(sb *b, const char *s, size_t n);
// sb_jbytes writes arbitrary bytes as a quoted JSON string: printable ASCII
// is copied, every other byte b becomes \u00XX (Latin-1 reading).
void sb_jbytes(sb *b, const unsigned char *s, size_t n);
// sb_str returns the NUL-terminated contents ("" after an allocation failure).
const char *sb_str(sb *b);

#endif
