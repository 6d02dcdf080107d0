// aoproc.c: a freestanding AO test process for the two module formats that
// Debian's emscripten 3.1.6 cannot produce: wasm32-unknown-emscripten4 (built
// with --target=wasm32) and wasm64-unknown-emscripten-draft_2024_02_15 (built
// with --target=wasm64, a real memory64 module). See README.md here and in
// ../wasm64 for the import and export lists and the message protocol.
//
// No libc: every import is declared below with the module, name and shape the
// real aos 2.0 fixtures use, so the modules import exactly those functions and
// nothing else. All process state lives in linear memory (the heap), so a
// memory snapshot is the whole state, as for real emscripten modules.

#include <stddef.h>
#include <stdint.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

#ifdef __wasm64__
#define W64 1
#else
#define W64 0
#endif

// ---------------------------------------------------------------- imports

// WeaveDrive (Asyncify imports in the real glue).
IMPORT("env", "__asyncjs__weavedrive_open") int wd_open(const char *path, const char *mode);
IMPORT("env", "__asyncjs__weavedrive_read") int wd_read(int fd, void *dst, size_t len);
IMPORT("env", "__asyncjs__weavedrive_close") int wd_close(int fd);

// emscripten runtime.
IMPORT("env", "_emscripten_memcpy_js") void em_memcpy_js(void *dst, const void *src, size_t n);
IMPORT("env", "emscripten_resize_heap") int em_resize_heap(size_t requested);
IMPORT("env", "_emscripten_throw_longjmp") void em_throw_longjmp(void);
IMPORT("env", "_emscripten_system") int em_system(const char *cmd);
IMPORT("env", "emscripten_date_now") double em_date_now(void);
IMPORT("env", "_emscripten_get_now_is_monotonic") int em_now_is_monotonic(void);
IMPORT("env", "_tzset_js") void em_tzset(long *timezone, int *daylight, char *std_name, char *dst_name);
IMPORT("env", "_mktime_js")
#if W64
int64_t em_mktime(void *tm);
#else
int32_t em_mktime(void *tm); // high half through the _emscripten_tempret_set export
#endif
#if W64
IMPORT("env", "invoke_vjj") void invoke_vjj(int64_t fn, int64_t a, int64_t b);
IMPORT("env", "_gmtime_js") void em_gmtime(int64_t t, void *tm);
IMPORT("env", "_localtime_js") void em_localtime(int64_t t, void *tm);
#else
IMPORT("env", "invoke_vii") void invoke_vii(int32_t fn, int32_t a, int32_t b);
IMPORT("env", "_gmtime_js") void em_gmtime(int32_t t_lo, int32_t t_hi, void *tm);
IMPORT("env", "_localtime_js") void em_localtime(int32_t t_lo, int32_t t_hi, void *tm);
#endif

// WASI, as emscripten imports it (fd_seek legalized to 5 arguments in wasm32).
struct iovec {
    void *buf;
    size_t len;
};
IMPORT("wasi_snapshot_preview1", "fd_read") int wasi_fd_read(int fd, const struct iovec *iov, size_t iovcnt, size_t *nread);
IMPORT("wasi_snapshot_preview1", "fd_close") int wasi_fd_close(int fd);
#if W64
IMPORT("wasi_snapshot_preview1", "fd_seek") int wasi_fd_seek(int fd, int64_t off, int whence, int64_t *newoff);
#else
IMPORT("wasi_snapshot_preview1", "fd_seek") int wasi_fd_seek(int fd, int32_t off_lo, int32_t off_hi, int whence, int64_t *newoff);
#endif
IMPORT("wasi_snapshot_preview1", "environ_sizes_get") int wasi_environ_sizes_get(size_t *count, size_t *bufsize);
IMPORT("wasi_snapshot_preview1", "environ_get") int wasi_environ_get(char **environ, char *buf);

// rt.S: the emscripten stack exports, and (wasm64) hand-written Asyncify.
uintptr_t emscripten_stack_get_base(void);
uintptr_t emscripten_stack_get_end(void);
#ifdef AOGO_MANUAL_ASYNCIFY
int asyncify_get_state(void);
uintptr_t aogo_asyncify_data(void);
#endif

// ---------------------------------------------------------------- memory

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

// Large copies go through _emscripten_memcpy_js, as emscripten's memcpy does.
void *memcpy(void *dst, const void *src, size_t n) {
    if (n >= 512) {
        em_memcpy_js(dst, src, n);
        return dst;
    }
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

extern unsigned char __heap_base[];

static uintptr_t brk; // 0 until the first sbrk

EXPORT("sbrk") void *sbrk(intptr_t incr) {
    if (!brk) brk = ((uintptr_t)__heap_base + 15) & ~(uintptr_t)15;
    uintptr_t old = brk, nbrk = old + (uintptr_t)incr;
    if (incr < 0 || nbrk < old) return (void *)-1;
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536;
    if (nbrk > have && !em_resize_heap(nbrk)) return (void *)-1;
    brk = nbrk;
    return (void *)old;
}

// A first-fit, address-ordered free list with coalescing. Block header is 16
// bytes so that payloads stay 16-aligned; size counts header and payload.
struct blk {
    size_t size;
    struct blk *next; // free blocks only
};
#define HDR ((size_t)16)
static struct blk *freelist;

EXPORT("malloc") void *malloc(size_t n) {
    if (n > ((size_t)1 << (W64 ? 40 : 31))) return 0;
    size_t need = (n + HDR + 15) & ~(size_t)15;
    if (need < 32) need = 32;
    struct blk **pp = &freelist;
    for (struct blk *b = freelist; b; pp = &b->next, b = b->next) {
        if (b->size < need) continue;
        if (b->size - need >= 64) {
            struct blk *rest = (struct blk *)((char *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *pp = rest;
            b->size = need;
        } else {
            *pp = b->next;
        }
        return (char *)b + HDR;
    }
    struct blk *b = sbrk((intptr_t)need);
    if (b == (void *)-1) return 0;
    b->size = need;
    return (char *)b + HDR;
}

EXPORT("free") void free(void *p) {
    if (!p) return;
    struct blk *b = (struct blk *)((char *)p - HDR);
    struct blk *prev = 0, *cur = freelist;
    while (cur && cur < b) prev = cur, cur = cur->next;
    b->next = cur;
    if (prev) prev->next = b; else freelist = b;
    if (cur && (char *)b + b->size == (char *)cur) { // merge with the next
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev && (char *)prev + prev->size == (char *)b) { // merge with the previous
        prev->size += b->size;
        prev->next = b->next;
    }
}

static size_t cstrlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

// ---------------------------------------------------------------- output buffer

struct sb {
    char *p;
    size_t n, cap;
};

static void sb_grow(struct sb *b, size_t more) {
    if (b->n + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1) cap *= 2;
    char *np = malloc(cap);
    if (!np) __builtin_trap();
    if (b->p) {
        memcpy(np, b->p, b->n);
        free(b->p);
    }
    b->p = np;
    b->cap = cap;
}
static void sb_put(struct sb *b, const char *s, size_t n) {
    sb_grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(struct sb *b, const char *s) { sb_put(b, s, cstrlen(s)); }
static void sb_u64(struct sb *b, uint64_t v) {
    char t[24];
    int i = 24;
    do t[--i] = (char)('0' + v % 10), v /= 10; while (v);
    sb_put(b, t + i, (size_t)(24 - i));
}
static void sb_i64(struct sb *b, int64_t v) {
    if (v < 0) {
        sb_str(b, "-");
        sb_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_u64(b, (uint64_t)v);
    }
}
// JSON-escape bytes into a string body (no quotes added); bytes >= 0x80 pass
// through unchanged.
static void sb_esc(struct sb *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_put(b, e, 6);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
}

static void sb_jstr(struct sb *b, const char *s, size_t n) { // a JSON string
    sb_str(b, "\"");
    sb_esc(b, s, n);
    sb_str(b, "\"");
}
// Object members: "key":value, with the comma unless right after '{'.
static void sb_key(struct sb *b, const char *key) {
    if (b->n && b->p[b->n - 1] != '{') sb_str(b, ",");
    sb_jstr(b, key, cstrlen(key));
    sb_str(b, ":");
}
static void kv_i64(struct sb *b, const char *key, int64_t v) {
    sb_key(b, key);
    sb_i64(b, v);
}
static void kv_u64(struct sb *b, const char *key, uint64_t v) {
    sb_key(b, key);
    sb_u64(b, v);
}
static void kv_str(struct sb *b, const char *key, const char *s, size_t n) {
    sb_key(b, key);
    sb_jstr(b, s, n);
}

// ---------------------------------------------------------------- JSON input

// A span of the input: for strings it includes the quotes (a valid JSON token).
struct span {
    const char *p;
    size_t n;
};

static const char *ws(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}
static const char *skip_string(const char *s) { // s at the opening quote
    for (s++; *s && *s != '"'; s++)
        if (*s == '\\' && s[1]) s++;
    return *s ? s + 1 : s;
}
static const char *skip_value(const char *s) {
    s = ws(s);
    if (*s == '"') return skip_string(s);
    if (*s == '{' || *s == '[') {
        int depth = 0;
        while (*s) {
            if (*s == '"') {
                s = skip_string(s);
                continue;
            }
            if (*s == '{' || *s == '[') depth++;
            if (*s == '}' || *s == ']') {
                if (--depth == 0) return s + 1;
            }
            s++;
        }
        return s;
    }
    while (*s && *s != ',' && *s != '}' && *s != ']') s++;
    return s;
}
static int span_is(struct span sp, const char *lit) { // a string token equal to "lit"
    size_t n = cstrlen(lit);
    if (sp.n != n + 2 || sp.p[0] != '"') return 0;
    for (size_t i = 0; i < n; i++)
        if (sp.p[i + 1] != lit[i]) return 0;
    return 1;
}

struct msg {
    struct span action, size, data, timestamp; // action and size: the first such tag's value
};

static void parse_tags(const char *s, struct msg *m) { // s at '['
    s = ws(s + 1);
    while (*s == '{') {
        struct span name = {0, 0}, value = {0, 0};
        s = ws(s + 1);
        while (*s == '"') {
            const char *k = s, *ke = skip_string(s);
            s = ws(ke);
            if (*s != ':') return;
            const char *v = ws(s + 1), *ve = skip_value(v);
            struct span key = {k, (size_t)(ke - k)};
            if (span_is(key, "name")) name = (struct span){v, (size_t)(ve - v)};
            if (span_is(key, "value")) value = (struct span){v, (size_t)(ve - v)};
            s = ws(ve);
            if (*s == ',') s = ws(s + 1);
        }
        if (*s != '}') return;
        if (name.p && span_is(name, "Action") && !m->action.p) m->action = value;
        if (name.p && span_is(name, "Size") && !m->size.p) m->size = value;
        s = ws(s + 1);
        if (*s == ',') s = ws(s + 1);
    }
}

static void parse_msg(const char *s, struct msg *m) {
    s = ws(s);
    if (*s != '{') return;
    s = ws(s + 1);
    while (*s == '"') {
        const char *k = s, *ke = skip_string(s);
        s = ws(ke);
        if (*s != ':') return;
        const char *v = ws(s + 1), *ve = skip_value(v);
        struct span key = {k, (size_t)(ke - k)};
        if (span_is(key, "Tags") && *v == '[') parse_tags(v, m);
        if (span_is(key, "Data")) m->data = (struct span){v, (size_t)(ve - v)};
        if (span_is(key, "Timestamp")) m->timestamp = (struct span){v, (size_t)(ve - v)};
        s = ws(ve);
        if (*s == ',') s = ws(s + 1);
    }
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
static uint32_t hex4(const char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return 0xfffd;
        v = v << 4 | (uint32_t)h;
    }
    return v;
}
static size_t put_utf8(char *out, uint32_t cp) { // out may be 0: only count
    unsigned char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        t[0] = (unsigned char)(0xc0 | cp >> 6), t[1] = (unsigned char)(0x80 | (cp & 63)), n = 2;
    } else if (cp < 0x10000) {
        t[0] = (unsigned char)(0xe0 | cp >> 12), t[1] = (unsigned char)(0x80 | (cp >> 6 & 63));
        t[2] = (unsigned char)(0x80 | (cp & 63)), n = 3;
    } else {
        t[0] = (unsigned char)(0xf0 | cp >> 18), t[1] = (unsigned char)(0x80 | (cp >> 12 & 63));
        t[2] = (unsigned char)(0x80 | (cp >> 6 & 63)), t[3] = (unsigned char)(0x80 | (cp & 63)), n = 4;
    }
    if (out)
        for (size_t i = 0; i < n; i++) out[i] = (char)t[i];
    return n;
}
// Decode a JSON string token into UTF-8 (a lone surrogate is encoded as is);
// out may be 0 to count only. Returns the byte length; a token that is not a
// string decodes to nothing.
static size_t json_unquote(struct span sp, char *out) {
    if (!sp.p || sp.n < 2 || sp.p[0] != '"') return 0;
    const char *s = sp.p + 1, *e = sp.p + sp.n - 1;
    size_t n = 0;
    while (s < e) {
        if (*s != '\\') {
            if (out) out[n] = *s;
            n++, s++;
            continue;
        }
        char c = s[1];
        s += 2;
        uint32_t cp;
        switch (c) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (e - s < 4) return n;
            cp = hex4(s);
            s += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                uint32_t lo = hex4(s + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            break;
        default: cp = (unsigned char)c; break; // \" \\ \/
        }
        n += put_utf8(out ? out + n : 0, cp);
    }
    return n;
}
static char *json_cstr(struct span sp) { // malloc'd, NUL-terminated
    size_t n = json_unquote(sp, 0);
    char *s = malloc(n + 1);
    if (!s) __builtin_trap();
    json_unquote(sp, s);
    s[n] = 0;
    return s;
}
static int64_t span_int(struct span sp) { // the integer part of a number or of a numeric string
    int64_t v = 0;
    int neg = 0;
    const char *s = sp.p;
    if (!s) return 0;
    if (*s == '"') s++;
    if (*s == '-') neg = 1, s++;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

// ---------------------------------------------------------------- state

struct state {
    uint64_t counter;
    uint64_t calls; // handle calls, including failed ones
};
static struct state *st;  // heap object, allocated by the first message
static char *last_reply;  // freed at the start of the next call
static int ctors_ran;     // set by the constructor: shows __wasm_call_ctors ran
static uintptr_t threw;   // setThrew
static int threw_value;
static volatile uint32_t spin;

__attribute__((constructor)) static void aoproc_init(void) { ctors_ran = 1; }

EXPORT("setThrew") void setThrew(uintptr_t t, int value) {
    if (threw == 0) {
        threw = t;
        threw_value = value;
    }
}

#if !W64
static int32_t tempret; // _emscripten_tempret_set
EXPORT("_emscripten_tempret_set") void emscripten_tempret_set(int32_t v) { tempret = v; }

EXPORT("dynCall_vii") void dynCall_vii(int32_t fn, int32_t a, int32_t b) {
    ((void (*)(int32_t, int32_t))(uintptr_t)(uint32_t)fn)(a, b);
}
static void fail_jump(int32_t a, int32_t b) {
    (void)a, (void)b;
    em_throw_longjmp();
}
#else
EXPORT("dynCall_vjj") void dynCall_vjj(int32_t fn, int64_t a, int64_t b) {
    ((void (*)(int64_t, int64_t))(uintptr_t)(uint32_t)fn)(a, b);
}
static void fail_jump(int64_t a, int64_t b) {
    (void)a, (void)b;
    em_throw_longjmp();
}
#endif

// Nest: an invoke inside an invoke (as Lua nests pcalls), whose inner call
// longjmps: the host's invoke_* and the dynCall export run re-entrantly.
static int nest_inner_threw;
#if !W64
static void nest_mid(int32_t a, int32_t b) {
    (void)a, (void)b;
    threw = 0;
    invoke_vii((int32_t)(uintptr_t)&fail_jump, 7, 8);
    nest_inner_threw = threw != 0;
    threw = 0;
}
#else
static void nest_mid(int64_t a, int64_t b) {
    (void)a, (void)b;
    threw = 0;
    invoke_vjj((int64_t)(uintptr_t)&fail_jump, 7, 8);
    nest_inner_threw = threw != 0;
    threw = 0;
}
#endif

// ---------------------------------------------------------------- replies

// One message's answer: Output (raw JSON, none if empty), Error, and the raw
// JSON of Messages/Spawns/Assignments.
struct call {
    struct msg m;
    struct sb out;
    const char *error;
    int reject;
    const char *sends;
};

static char *compose(struct call *c) {
    struct sb b = {0, 0, 0};
    if (c->reject) {
        sb_str(&b, "{\"ok\":false,\"response\":{\"Error\":\"rejected\"}}");
    } else {
        sb_str(&b, "{\"ok\":true,\"response\":{");
        if (c->out.n) {
            sb_key(&b, "Output");
            sb_put(&b, c->out.p, c->out.n);
        } else if (!c->error) {
            sb_key(&b, "Output");
            sb_str(&b, "\"\"");
        }
        if (c->error) kv_str(&b, "Error", c->error, cstrlen(c->error));
        sb_str(&b, ",");
        sb_str(&b, c->sends ? c->sends : "\"Messages\":[],\"Spawns\":[],\"Assignments\":[]");
        sb_str(&b, "}}");
    }
    if (c->out.p) free(c->out.p);
    last_reply = b.p;
    return b.p;
}

static void out_counter(struct call *c) {
    sb_str(&c->out, "\"");
    sb_u64(&c->out, st->counter);
    sb_str(&c->out, "\"");
}

// ---------------------------------------------------------------- actions

struct em_tm { // musl struct tm: 9 ints, long tm_gmtoff, const char *tm_zone
    int sec, min, hour, mday, mon, year, wday, yday, isdst;
    long gmtoff;
    const char *zone;
};

static void put2(struct sb *b, int v) {
    char t[2] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10)};
    sb_put(b, t, 2);
}
static void kv_tm(struct sb *b, const char *key, const struct em_tm *tm) {
    struct sb t = {0, 0, 0};
    sb_i64(&t, 1900 + (int64_t)tm->year);
    sb_str(&t, "-");
    put2(&t, tm->mon + 1);
    sb_str(&t, "-");
    put2(&t, tm->mday);
    sb_str(&t, "T");
    put2(&t, tm->hour);
    sb_str(&t, ":");
    put2(&t, tm->min);
    sb_str(&t, ":");
    put2(&t, tm->sec);
    sb_str(&t, " wday=");
    sb_i64(&t, tm->wday);
    sb_str(&t, " yday=");
    sb_i64(&t, tm->yday);
    sb_str(&t, " isdst=");
    sb_i64(&t, tm->isdst);
    sb_str(&t, " gmtoff=");
    sb_i64(&t, tm->gmtoff);
    kv_str(b, key, t.p, t.n);
    free(t.p);
}

static void act_time(struct call *c) {
    struct sb *b = &c->out;
    int64_t t = span_int(c->m.timestamp) / 1000;
    double now = em_date_now();
    int mono = em_now_is_monotonic();
    long tz = -1;
    int daylight = -1;
    char stdn[17], dstn[17];
    memset(stdn, 0, sizeof stdn);
    memset(dstn, 0, sizeof dstn);
    em_tzset(&tz, &daylight, stdn, dstn);
    struct em_tm gm, lt, mk;
    memset(&gm, 0, sizeof gm);
    memset(&lt, 0, sizeof lt);
#if W64
    em_gmtime(t, &gm);
    em_localtime(t, &lt);
    mk = lt;
    int64_t secs = em_mktime(&mk);
#else
    em_gmtime((int32_t)t, (int32_t)(t >> 32), &gm);
    em_localtime((int32_t)t, (int32_t)(t >> 32), &lt);
    mk = lt;
    tempret = 0;
    int32_t lo = em_mktime(&mk);
    int64_t secs = (int64_t)((uint64_t)(uint32_t)lo | (uint64_t)(uint32_t)tempret << 32);
#endif
    sb_str(b, "{");
    kv_i64(b, "date_now", (int64_t)now);
    kv_i64(b, "monotonic", mono);
    kv_i64(b, "timezone", tz);
    kv_i64(b, "daylight", daylight);
    kv_str(b, "std_name", stdn, cstrlen(stdn));
    kv_str(b, "dst_name", dstn, cstrlen(dstn));
    kv_i64(b, "t", t);
    kv_tm(b, "gmtime", &gm);
    kv_tm(b, "localtime", &lt);
    kv_i64(b, "mktime", secs);
    kv_tm(b, "mktime_tm", &mk);
    sb_str(b, "}");
}

static void act_env(struct call *c) {
    struct sb *b = &c->out;
    size_t count = 12345, size = 12345;
    int r1 = wasi_environ_sizes_get(&count, &size);
    sb_str(b, "{");
    kv_i64(b, "sizes_get", r1);
    kv_u64(b, "count", count);
    kv_u64(b, "size", size);
    if (r1 == 0 && count < 256 && size < 65536) {
        char **env = malloc((count + 1) * sizeof(char *));
        char *buf = malloc(size + 1);
        memset(env, 0, (count + 1) * sizeof(char *));
        memset(buf, 0, size + 1);
        kv_i64(b, "get", wasi_environ_get(env, buf));
        sb_key(b, "environ");
        sb_str(b, "[");
        for (size_t i = 0; i < count; i++) {
            if (i) sb_str(b, ",");
            if (env[i] && (uintptr_t)env[i] >= (uintptr_t)buf && (uintptr_t)env[i] < (uintptr_t)buf + size)
                sb_jstr(b, env[i], cstrlen(env[i]));
            else
                sb_str(b, "null");
        }
        sb_str(b, "]");
        free(env);
        free(buf);
    }
    sb_str(b, "}");
}

static void act_shell(struct call *c) {
    int avail = em_system(0);
    int ret = em_system("exit 3");
    sb_str(&c->out, "{");
    kv_i64(&c->out, "available", avail);
    kv_i64(&c->out, "ret", ret);
    sb_str(&c->out, "}");
}

static void act_send(struct call *c) {
    static struct sb s; // kept until the reply is composed; reused
    s.n = 0;
    sb_str(&s, "\"Messages\":[{\"Target\":");
    if (c->m.data.p && c->m.data.p[0] == '"') sb_put(&s, c->m.data.p, c->m.data.n);
    else sb_str(&s, "\"\"");
    sb_str(&s, ",\"Data\":\"ping\",\"Tags\":[{\"name\":\"Action\",\"value\":\"Ping\"}]}],"
               "\"Spawns\":[{\"Data\":\"child\",\"Tags\":[{\"name\":\"Name\",\"value\":\"child\"}]}],"
               "\"Assignments\":[{\"Processes\":[\"p1\"],\"Message\":\"m1\"}]");
    c->sends = s.p;
    sb_str(&c->out, "\"sent\"");
}

static void act_alloc(struct call *c) {
    // Take blocks (Size tag, default 8 MiB) until malloc (sbrk ->
    // emscripten_resize_heap) fails, then give them back.
    int64_t size = c->m.size.p ? span_int(c->m.size) : 8 << 20;
    if (size < 16) size = 16;
    void *chain = 0;
    uint64_t total = 0;
    for (;;) {
        void **p = malloc((size_t)size);
        if (!p) break;
        *p = chain;
        chain = p;
        total += (uint64_t)size;
    }
    while (chain) {
        void *next = *(void **)chain;
        free(chain);
        chain = next;
    }
    sb_str(&c->out, "\"");
    sb_u64(&c->out, total);
    sb_str(&c->out, "\"");
    c->error = "out of memory";
}

static void act_boot(struct call *c) {
    struct sb *b = &c->out;
    sb_str(b, "{");
    kv_i64(b, "ctors", ctors_ran);
    kv_u64(b, "stack_base", emscripten_stack_get_base());
    kv_u64(b, "stack_end", emscripten_stack_get_end());
    kv_u64(b, "heap_base", (uintptr_t)__heap_base);
    kv_u64(b, "sp", (uintptr_t)__builtin_frame_address(0));
    kv_u64(b, "pages", (uint64_t)__builtin_wasm_memory_size(0));
    kv_u64(b, "calls", st->calls);
    sb_str(b, "}");
}

// Read: WeaveDrive through its three Asyncify imports plus WASI fd_seek and
// fd_read on the descriptor. Written as a resumable state machine over a heap
// context, so that it works unchanged when the host unwinds and rewinds the
// stack (binaryen Asyncify in fmt4, the hand-written protocol in wasm64) and
// when it simply returns.
struct readctx {
    struct call *c;
    int step;
    int fd;
    int seek_end, seek_set, fd_read, close, badclose;
    int64_t size, pos;
    int64_t n1, n2; // bytes from weavedrive_read, then from fd_read
    char *path;
    char *buf;
    size_t want, want1;
};

// read_step returns 1 when the host is unwinding the stack (the caller must
// return at once), 0 when the action is complete.
static int read_step(struct readctx *r) {
    for (;;) {
        int ret;
        switch (r->step) {
        case 0:
            ret = wd_open(r->path, "r");
#ifdef AOGO_MANUAL_ASYNCIFY
            if (asyncify_get_state() == 1) return 1;
#endif
            r->fd = ret;
            if (ret <= 0) {
                r->step = 9;
                break;
            }
#if W64
            r->seek_end = wasi_fd_seek(r->fd, 0, 2 /* SEEK_END */, &r->size);
            r->seek_set = wasi_fd_seek(r->fd, 0, 0 /* SEEK_SET */, &r->pos);
#else
            r->seek_end = wasi_fd_seek(r->fd, 0, 0, 2 /* SEEK_END */, &r->size);
            r->seek_set = wasi_fd_seek(r->fd, 0, 0, 0 /* SEEK_SET */, &r->pos);
#endif
            if (r->size >= 0 && (uint64_t)r->size < r->want) r->want = (size_t)r->size;
            r->want1 = r->want < 4 ? r->want : 4;
            r->buf = malloc(r->want + 1);
            r->step = 1;
            break;
        case 1:
            ret = wd_read(r->fd, r->buf, r->want1);
#ifdef AOGO_MANUAL_ASYNCIFY
            if (asyncify_get_state() == 1) return 1;
#endif
            r->n1 = ret;
            if (ret >= 0 && (size_t)ret <= r->want1 && r->want > (size_t)ret) {
                struct iovec iov = {r->buf + ret, r->want - (size_t)ret};
                size_t nread = 0;
                r->fd_read = wasi_fd_read(r->fd, &iov, 1, &nread);
                r->n2 = nread <= iov.len ? (int64_t)nread : 0;
            }
            r->step = 2;
            break;
        case 2:
            ret = wd_close(r->fd);
#ifdef AOGO_MANUAL_ASYNCIFY
            if (asyncify_get_state() == 1) return 1;
#endif
            r->close = ret;
            r->badclose = wasi_fd_close(999);
            r->step = 9;
            break;
        default:
            return 0;
        }
    }
}

static void read_output(struct readctx *r) {
    struct sb *b = &r->c->out;
    sb_str(b, "{");
    kv_str(b, "path", r->path, cstrlen(r->path));
    kv_i64(b, "fd", r->fd);
    if (r->fd > 0) {
        kv_i64(b, "seek_end", r->seek_end);
        kv_i64(b, "size", r->size);
        kv_i64(b, "seek_set", r->seek_set);
        kv_i64(b, "pos", r->pos);
        kv_i64(b, "weavedrive_read", r->n1);
        kv_i64(b, "fd_read", r->fd_read);
        kv_i64(b, "fd_read_n", r->n2);
        kv_i64(b, "close", r->close);
        kv_i64(b, "badclose", r->badclose);
        int64_t n = (r->n1 > 0 ? r->n1 : 0) + r->n2;
        if ((uint64_t)n > r->want) n = (int64_t)r->want;
        kv_str(b, "data", r->buf, (size_t)n);
    }
    sb_str(b, "}");
    free(r->path);
    free(r->buf);
}

#ifdef AOGO_MANUAL_ASYNCIFY
// The hand-written Asyncify protocol (see rt.S): on unwind, push the read
// context onto the Asyncify data stack; on rewind, pop it and resume.
struct asydata {
    uintptr_t cur, end;
};
static void asy_push(void *ctx) {
    struct asydata *d = (struct asydata *)aogo_asyncify_data();
    if (d->cur + 16 > d->end) __builtin_trap();
    ((uintptr_t *)d->cur)[0] = (uintptr_t)ctx;
    ((uint32_t *)d->cur)[2] = 0x4f474f41; // "AOGO"
    d->cur += 16;
}
static void *asy_pop(void) {
    struct asydata *d = (struct asydata *)aogo_asyncify_data();
    d->cur -= 16;
    if (((uint32_t *)d->cur)[2] != 0x4f474f41) __builtin_trap();
    return (void *)((uintptr_t *)d->cur)[0];
}
#endif

// run_read returns the reply, or 0 while the host unwinds (the value is
// ignored then).
static char *run_read(struct readctx *r) {
    if (read_step(r)) {
#ifdef AOGO_MANUAL_ASYNCIFY
        asy_push(r);
#endif
        return 0;
    }
    struct call *c = r->c;
    read_output(r);
    free(r);
    char *reply = compose(c);
    free(c);
    return reply;
}

// ---------------------------------------------------------------- handle

EXPORT("handle") char *handle(const char *msgjson, const char *envjson) {
    (void)envjson;
#ifdef AOGO_MANUAL_ASYNCIFY
    if (asyncify_get_state() == 2) // rewinding into the Read action
        return run_read(asy_pop());
#endif
    if (last_reply) {
        free(last_reply);
        last_reply = 0;
    }
    if (!st) {
        st = malloc(sizeof *st);
        memset(st, 0, sizeof *st);
    }
    st->calls++;
    // Heap, not stack: Read keeps it across an Asyncify unwind.
    struct call *c = malloc(sizeof *c);
    memset(c, 0, sizeof *c);
    parse_msg(msgjson ? msgjson : "{}", &c->m);
    struct span a = c->m.action;

    if (!a.p || span_is(a, "Inc")) {
        st->counter++;
        out_counter(c);
    } else if (span_is(a, "Get")) {
        out_counter(c);
    } else if (span_is(a, "Echo")) {
        // The Data token is already JSON (JSON.stringify escaping): copy it.
        if (c->m.data.p && c->m.data.p[0] == '"') sb_put(&c->out, c->m.data.p, c->m.data.n);
        else sb_str(&c->out, "\"\"");
    } else if (span_is(a, "Nest")) {
        threw = 0;
        nest_inner_threw = 0;
#if W64
        invoke_vjj((int64_t)(uintptr_t)&nest_mid, 0, 0);
#else
        invoke_vii((int32_t)(uintptr_t)&nest_mid, 0, 0);
#endif
        sb_str(&c->out, threw ? "\"nested:1:" : "\"nested:0:");
        sb_str(&c->out, nest_inner_threw ? "10\"" : "0\"");
        threw = 0;
    } else if (span_is(a, "Big")) {
        sb_str(&c->out, "\"");
        sb_u64(&c->out, json_unquote(c->m.data, 0));
        sb_str(&c->out, "\"");
    } else if (span_is(a, "Error")) {
        st->counter++;
        c->error = "requested error";
    } else if (span_is(a, "Reject")) {
        st->counter++;
        c->reject = 1;
    } else if (span_is(a, "Trap")) {
        st->counter++;
        __builtin_trap();
    } else if (span_is(a, "Loop")) {
        st->counter++;
        for (;;) spin++;
    } else if (span_is(a, "Alloc")) {
        st->counter++;
        act_alloc(c);
    } else if (span_is(a, "Fail")) {
        // The emscripten setjmp/longjmp shape: the call goes through the
        // host's invoke_*, the callee calls _emscripten_throw_longjmp, the
        // host catches that and calls setThrew(1, 0).
        st->counter++;
        threw = 0;
        threw_value = 0;
#if W64
        invoke_vjj((int64_t)(uintptr_t)&fail_jump, 7, 8);
#else
        invoke_vii((int32_t)(uintptr_t)&fail_jump, 7, 8);
#endif
        if (threw) {
            threw = 0;
            c->error = "fail requested";
        } else {
            c->error = "invoke returned without setThrew";
        }
    } else if (span_is(a, "Time")) {
        act_time(c);
    } else if (span_is(a, "Env")) {
        act_env(c);
    } else if (span_is(a, "Shell")) {
        act_shell(c);
    } else if (span_is(a, "Send")) {
        act_send(c);
    } else if (span_is(a, "Boot")) {
        act_boot(c);
    } else if (span_is(a, "Read")) {
        struct readctx *r = malloc(sizeof *r);
        memset(r, 0, sizeof *r);
        r->c = c;
        r->path = json_cstr(c->m.data);
        int64_t want = c->m.size.p ? span_int(c->m.size) : 4096;
        r->want = want < 0 ? 0 : want > (1 << 20) ? (size_t)1 << 20 : (size_t)want;
        return run_read(r);
    } else {
        static struct sb e;
        e.n = 0;
        sb_str(&e, "unknown action: ");
        size_t n = a.n > 2 && a.p[0] == '"' ? a.n - 2 : 0;
        sb_put(&e, a.p + 1, n > 60 ? 60 : n);
        c->error = e.p;
    }
    char *reply = compose(c);
    free(c);
    return reply;
}
