// json.c: see json.h.
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *json_ws(const char *p) {
  while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

// skip_string returns the byte after the closing quote of the string whose
// opening quote is at p, or NULL.
static const char *skip_string(const char *p) {
  if (*p != '"') return NULL;
  for (p++; *p; p++) {
    if (*p == '"') return p + 1;
    if (*p == '\\') {
      p++;
      if (!*p) return NULL;
    }
  }
  return NULL;
}

static int is_num_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// Nesting is bounded so that hostile input cannot exhaust the C stack.
#define MAX_DEPTH 64

static const char *skip_value(const char *p, int depth) {
  p = json_ws(p);
  if (!p || depth > MAX_DEPTH) return NULL;
  switch (*p) {
  case '"':
    return skip_string(p);
  case '{':
  case '[': {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = json_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (obj) {
        p = skip_string(json_ws(p));
        if (!p) return NULL;
        p = json_ws(p);
        if (*p != ':') return NULL;
        p++;
      }
      p = skip_value(p, depth + 1);
      if (!p) return NULL;
      p = json_ws(p);
      if (*p == ',') {
        p++;
        continue;
      }
      if (*p == close) return p + 1;
      return NULL;
    }
  }
  case 't':
    return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
  case 'f':
    return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
  case 'n':
    return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
  default:
    if (!is_num_char(*p)) return NULL;
    while (is_num_char(*p)) p++;
    return p;
  }
}

const char *json_skip(const char *p) { return skip_value(p, 0); }

// key_equals reports whether the JSON string at p (raw, with escapes) equals
// key. Keys in AO messages never contain escapes, but a key spelled with
// escapes is compared after decoding.
static int key_equals(const char *p, const char *key) {
  size_t n;
  const char *q = p + 1;
  const char *k = key;
  while (*q && *q != '"' && *q != '\\' && *k && *q == *k) q++, k++;
  if (*q == '"' && !*k) return 1;
  if (*q != '\\') return 0;
  char *s = json_string(p, &n);
  int eq = s && n == strlen(key) && memcmp(s, key, n) == 0;
  free(s);
  return eq;
}

const char *json_member(const char *obj, const char *key) {
  const char *p = json_ws(obj);
  if (!p || *p != '{') return NULL;
  p = json_ws(p + 1);
  if (*p == '}') return NULL;
  for (;;) {
    p = json_ws(p);
    if (*p != '"') return NULL;
    int match = key_equals(p, key);
    p = skip_string(p);
    if (!p) return NULL;
    p = json_ws(p);
    if (*p != ':') return NULL;
    p = json_ws(p + 1);
    if (match) return p;
    p = json_skip(p);
    if (!p) return NULL;
    p = json_ws(p);
    if (*p != ',') return NULL;
    p++;
  }
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static size_t put_utf8(char *d, unsigned cp) {
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (cp >> 18));
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

char *json_string(const char *p, size_t *len) {
  p = json_ws(p);
  if (!p || *p != '"') return NULL;
  const char *end = skip_string(p);
  if (!end) return NULL;
  // Decoding never grows the text: \uXXXX (6 bytes) yields at most 3 bytes,
  // a surrogate pair (12 bytes) 4 bytes.
  char *out = malloc((size_t)(end - p));
  if (!out) return NULL;
  size_t n = 0;
  for (p++; p < end - 1; p++) {
    if (*p != '\\') {
      out[n++] = *p;
      continue;
    }
    p++;
    switch (*p) {
    case 'b': out[n++] = '\b'; break;
    case 'f': out[n++] = '\f'; break;
    case 'n': out[n++] = '\n'; break;
    case 'r': out[n++] = '\r'; break;
    case 't': out[n++] = '\t'; break;
    case 'u': {
      unsigned cp, lo;
      if (p + 4 >= end || !hex4(p + 1, &cp)) {
        free(out);
        return NULL;
      }
      p += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF && p + 6 < end && p[1] == '\\' && p[2] == 'u' &&
          hex4(p + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
      } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD;
      }
      n += put_utf8(out + n, cp);
      break;
    }
    default: // '"', '\\', '/' and anything else: the character itself
      out[n++] = *p;
    }
  }
  out[n] = 0;
  *len = n;
  return out;
}

int json_number(const char *p, double *out) {
  p = json_ws(p);
  if (!p || !((*p >= '0' && *p <= '9') || *p == '-')) return 0;
  // strtod without locale or allocation surprises: JSON numbers are plain.
  *out = strtod(p, NULL);
  return 1;
}

char *json_tag(const char *msg, const char *name, size_t *len) {
  const char *p = json_member(msg, "Tags");
  if (!p || *p != '[') return NULL;
  p = json_ws(p + 1);
  if (*p == ']') return NULL;
  for (;;) {
    const char *tag = json_ws(p);
    const char *nv = json_member(tag, "name");
    if (nv && *nv == '"' && key_equals(nv, name)) {
      const char *vv = json_member(tag, "value");
      return vv ? json_string(vv, len) : NULL;
    }
    p = json_skip(tag);
    if (!p) return NULL;
    p = json_ws(p);
    if (*p != ',') return NULL;
    p++;
  }
}

void sb_reset(sb *b) {
  b->len = 0;
  b->oom = 0;
  if (b->buf) b->buf[0] = 0;
}

static int sb_grow(sb *b, size_t extra) {
  if (b->oom) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *nb = realloc(b->buf, cap);
  if (!nb) {
    b->oom = 1;
    return 0;
  }
  b->buf = nb;
  b->cap = cap;
  return 1;
}

void sb_putn(sb *b, const char *s, size_t n) {
  if (!sb_grow(b, n)) return;
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = 0;
}

void sb_puts(sb *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_putc(sb *b, char c) { sb_putn(b, &c, 1); }

void sb_printf(sb *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_putn(b, tmp, (size_t)n);
    return;
  }
  if (!sb_grow(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

static const char hexdig[] = "0123456789abcdef";

void sb_jstr(sb *b, const char *s, size_t n) {
  // Worst case every byte becomes \u00XX.
  if (!sb_grow(b, n * 6 + 2)) return;
  char *d = b->buf + b->len;
  *d++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      *d++ = '\\';
      *d++ = (char)c;
    } else if (c == '\n') {
      *d++ = '\\';
      *d++ = 'n';
    } else if (c < 0x20) {
      *d++ = '\\';
      *d++ = 'u';
      *d++ = '0';
      *d++ = '0';
      *d++ = hexdig[c >> 4];
      *d++ = hexdig[c & 15];
    } else {
      *d++ = (char)c;
    }
  }
  *d++ = '"';
  *d = 0;
  b->len = (size_t)(d - b->buf);
}

void sb_jbytes(sb *b, const unsigned char *s, size_t n) {
  if (!sb_grow(b, n * 6 + 2)) return;
  char *d = b->buf + b->len;
  *d++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      *d++ = '\\';
      *d++ = (char)c;
    } else if (c < 0x20 || c >= 0x7F) {
      *d++ = '\\';
      *d++ = 'u';
      *d++ = '0';
      *d++ = '0';
      *d++ = hexdig[c >> 4];
      *d++ = hexdig[c & 15];
    } else {
      *d++ = (char)c;
    }
  }
  *d++ = '"';
  *d = 0;
  b->len = (size_t)(d - b->buf);
}

const char *sb_str(sb *b) { return (b->oom || !b->buf) ? "" : b->buf; }
