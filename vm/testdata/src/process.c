// process.c: the aogo test process, an AO process written in C.
//
// It implements the AO handle contract:
//
//	char *handle(char *msgJSON, char *envJSON)
//
// returning {"ok":true,"response":{"Output":..,"Messages":[..],"Spawns":[..],
// "Assignments":[..]}} (plus "Error" on failure). What it does is selected by
// the message's Action tag; vm/testdata/README.md is the specification.
//
// Two variants are built from this file:
//   - minimal (default): Inc, Echo, Error, Reject, Trap, Loop, Alloc, Big, Send.
//     Imports only what malloc and memcpy need.
//   - rich (-DAO_RICH, with glue.c): adds Fail (setjmp/longjmp, every message
//     runs under a protected call as aos runs Lua under pcall), Time, Random,
//     Env, Shell, Print and Read (stdio, files, environ, system).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#ifdef AO_RICH
#include <errno.h>
#include <setjmp.h>
#include <time.h>

#include "glue.h"
extern char **environ;
#endif

#define EXPORT __attribute__((used, visibility("default")))

// The process state lives in the heap (st) and in statics (counter, out).
struct state {
  uint64_t count;        // the counter
  uint64_t handled;      // messages seen, including failing ones
  double last_timestamp; // Timestamp of the last message
  double last_height;    // Block-Height of the last message
  char last_id[48];      // Id of the last message (truncated)
};

static struct state *st;
static uint64_t counter; // mirrors st->count
static sb out;           // the response; reused across calls
static sb val;           // the Output value (raw JSON) of the current call

typedef struct {
  const char *msg, *env;
  char *action; // NULL: no Action tag
  char *data;   // NULL: no Data, or Data is not a string
  size_t data_len;
  const char *error;   // response.Error, or NULL
  int reject;          // answer ok:false
  const char *sends;   // raw JSON of Messages/Spawns/Assignments, or NULL
} call;

static void bump(void) {
  st->count++;
  counter = st->count;
}

static void out_count(void) { sb_printf(&val, "\"%llu\"", (unsigned long long)counter); }

static void act_alloc(call *c) {
  bump();
  size_t len;
  size_t size = 64u << 20;
  char *s = json_tag(c->msg, "Size", &len);
  if (s) {
    size = (size_t)strtoul(s, NULL, 10);
    free(s);
  }
  if (size < sizeof(void *)) size = sizeof(void *);
  void *head = NULL;
  unsigned long long total = 0;
  for (;;) {
    char *p = malloc(size);
    if (!p) break;
    // Touch every 4 KiB page so that a host that commits memory lazily
    // really commits it.
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    *(void **)p = head;
    head = p;
    total += size;
  }
  while (head) {
    void *next = *(void **)head;
    free(head);
    head = next;
  }
  sb_printf(&val, "\"%llu\"", total);
  c->error = "out of memory";
}

static void act_send(call *c) {
  static sb s;
  sb_reset(&s);
  sb_puts(&s, "\"Messages\":[{\"Target\":");
  if (c->data) sb_jstr(&s, c->data, c->data_len);
  else sb_puts(&s, "\"\"");
  sb_puts(&s, ",\"Data\":\"ping\",\"Tags\":[{\"name\":\"Action\",\"value\":\"Ping\"}]}],"
              "\"Spawns\":[{\"Data\":\"child\",\"Tags\":[{\"name\":\"Name\",\"value\":\"child\"}]}],"
              "\"Assignments\":[{\"Processes\":[\"p1\"],\"Message\":\"m1\"}]");
  c->sends = sb_str(&s);
  sb_puts(&val, "\"sent\"");
}

#ifdef AO_RICH

static char main_argv[1024]; // JSON array of argv, or "null" if main never ran
static int main_argc = -1;

static jmp_buf *fail_jump; // innermost protected call

static void num_json(sb *b, double d) {
  if (d != d) sb_puts(b, "\"NaN\"");
  else if (d > 1e300 || d < -1e300) sb_puts(b, "\"Inf\"");
  else sb_printf(b, "%.17g", d);
}

static void act_time(call *c) {
  (void)c;
  // The call order is part of the spec: fmt3 glue returns a global counter
  // from both clocks, so every call below advances it.
  time_t t = time(NULL);
  clock_t ck = clock();
  double dn = glue_date_now();
  struct tm tm;
  char buf[128];
  ao_gmtime_r(&t, &tm);
  uint32_t n = glue_strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ %a %b %j", &tm);
  buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
  sb_printf(&val, "{\"time\":%lld,\"gmtime\":", (long long)t);
  sb_jstr(&val, buf, strlen(buf));
  sb_printf(&val, ",\"clock\":%ld,\"date_now\":", (long)ck);
  num_json(&val, dn);
  sb_puts(&val, ",\"get_now\":");
#ifdef GLUE_HAS_GET_NOW
  num_json(&val, glue_get_now());
#else
  sb_puts(&val, "null");
#endif
  sb_puts(&val, ",\"Timestamp\":");
  num_json(&val, st->last_timestamp);
  sb_puts(&val, "}");
}

static void act_random(call *c) {
  (void)c;
  unsigned char buf[8];
  sb_puts(&val, "{\"urandom\":");
  errno = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f) {
    sb_printf(&val, "{\"open\":false,\"errno\":%d}", errno);
  } else {
    setvbuf(f, NULL, _IONBF, 0);
    errno = 0;
    size_t n = fread(buf, 1, sizeof buf, f);
    int e = errno;
    fclose(f);
    sb_printf(&val, "{\"open\":true,\"read\":%zu,\"errno\":%d,\"hex\":\"", n, e);
    for (size_t i = 0; i < n; i++) sb_printf(&val, "%02x", buf[i]);
    sb_puts(&val, "\"}");
    memset(buf, 0, sizeof buf);
  }
  int r1 = rand();
  int r2 = rand();
  sb_printf(&val, ",\"rand\":[%d,%d]}", r1, r2);
}

static void act_env(call *c) {
  sb_puts(&val, "{\"environ\":[");
  for (char **e = environ; e && *e; e++) {
    if (e != environ) sb_putc(&val, ',');
    sb_jstr(&val, *e, strlen(*e));
  }
  sb_printf(&val, "],\"argc\":%d,\"argv\":%s,\"process\":", main_argc, main_argv[0] ? main_argv : "null");
  size_t len;
  const char *proc = json_member(c->env, "Process");
  char *pid = proc ? json_string(json_member(proc, "Id"), &len) : NULL;
  if (pid) {
    sb_jstr(&val, pid, len);
    free(pid);
  } else {
    sb_puts(&val, "null");
  }
  sb_puts(&val, "}");
}

static void act_shell(call *c) {
  (void)c;
  errno = 0;
  int avail = system(NULL);
  errno = 0;
  int r = system("echo hi");
  sb_printf(&val, "{\"available\":%d,\"ret\":%d,\"errno\":%d}", avail, r, errno);
}

static void act_print(call *c) {
  printf("print: %s\n", c->data ? c->data : "");
  fflush(stdout);
  sb_puts(&val, "\"printed\"");
}

static void act_read(call *c) {
  size_t len;
  long want = 64;
  char *s = json_tag(c->msg, "Size", &len);
  if (s) {
    want = strtol(s, NULL, 10);
    free(s);
  }
  if (want < 0) want = 0;
  const char *path = c->data ? c->data : "";
  sb_puts(&val, "{\"path\":");
  sb_jstr(&val, path, strlen(path));
  errno = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    sb_printf(&val, ",\"open\":false,\"errno\":%d}", errno);
    return;
  }
  errno = 0;
  int se = fseek(f, 0, SEEK_END);
  long size = ftell(f);
  int ss = fseek(f, 0, SEEK_SET);
  int e1 = errno;
  unsigned char *buf = malloc((size_t)want + 1);
  errno = 0;
  size_t n = buf ? fread(buf, 1, (size_t)want, f) : 0;
  int e2 = errno;
  fclose(f);
  sb_printf(&val, ",\"open\":true,\"seek_end\":%d,\"size\":%ld,\"seek_set\":%d,\"seek_errno\":%d,\"read\":%zu,\"read_errno\":%d,\"data\":",
            se, size, ss, e1, n, e2);
  sb_jbytes(&val, buf ? buf : (unsigned char *)"", n);
  sb_puts(&val, "}");
  free(buf);
}

static void act_fail(call *c) {
  (void)c;
  bump();
  c->error = "fail requested";
  longjmp(*fail_jump, 1);
}

// Nest: protected calls inside protected calls, as Lua nests pcalls: the
// host's invoke_* runs re-entrantly (three levels with the message's own).
typedef void (*pfunc)(void *, void *);
static int protected_call(pfunc f, void *a, void *b);

static void nest_inner(void *a, void *b) {
  (void)a;
  (void)b;
  longjmp(*fail_jump, 1);
}

static void nest_mid(void *a, void *b) {
  (void)b;
  *(int *)a = 10 * protected_call(nest_inner, NULL, NULL);
}

static void act_nest(call *c) {
  (void)c;
  int inner = 0;
  int outer = protected_call(nest_mid, &inner, NULL);
  sb_printf(&val, "\"nested:%d:%d\"", outer, inner);
}

#endif // AO_RICH

static int is(const call *c, const char *name) { return c->action && strcmp(c->action, name) == 0; }

// dispatch runs one message. Its signature is void(i32,i32) so that, in the
// rich variant, the protected call below goes through invoke_vii, the only
// invoke_* the fmt1-3 glues offer.
__attribute__((noinline)) static void dispatch(void *arg, void *unused) {
  (void)unused;
  call *c = arg;
  if (!c->action || is(c, "Inc")) {
    bump();
    out_count();
  } else if (is(c, "Echo")) {
    if (c->data) sb_jstr(&val, c->data, c->data_len);
    else sb_puts(&val, "\"\"");
  } else if (is(c, "Error")) {
    bump();
    c->error = "requested error";
  } else if (is(c, "Reject")) {
    bump();
    c->reject = 1;
  } else if (is(c, "Trap")) {
    bump();
    __builtin_trap();
  } else if (is(c, "Loop")) {
    bump();
    volatile uint64_t spin = 0;
    for (;;) spin++;
  } else if (is(c, "Alloc")) {
    act_alloc(c);
  } else if (is(c, "Big")) {
    sb_printf(&val, "\"%zu\"", c->data ? c->data_len : (size_t)0);
  } else if (is(c, "Send")) {
    act_send(c);
#ifdef AO_RICH
  } else if (is(c, "Fail")) {
    act_fail(c);
  } else if (is(c, "Nest")) {
    act_nest(c);
  } else if (is(c, "Time")) {
    act_time(c);
  } else if (is(c, "Random")) {
    act_random(c);
  } else if (is(c, "Env")) {
    act_env(c);
  } else if (is(c, "Shell")) {
    act_shell(c);
  } else if (is(c, "Print")) {
    act_print(c);
  } else if (is(c, "Read")) {
    act_read(c);
#endif
  } else {
    static char msg[96];
    snprintf(msg, sizeof msg, "unknown action: %.60s", c->action);
    c->error = msg;
  }
}

#ifdef AO_RICH
// protected_call runs f(a, b) and returns 0, or 1 if f longjmp'ed out (like
// Lua's luaD_rawrunprotected). It must contain no other call: the setjmp
// lowering wraps every call of a setjmp-calling function in invoke_*.
__attribute__((noinline)) static int protected_call(pfunc f, void *a, void *b) {
  jmp_buf jb;
  jmp_buf *prev = fail_jump;
  volatile int status = 0;
  fail_jump = &jb;
  if (setjmp(jb) == 0) f(a, b);
  else status = 1;
  fail_jump = prev;
  return status;
}
#endif

static void compose(call *c) {
  sb_reset(&out);
  if (c->reject) {
    sb_puts(&out, "{\"ok\":false,\"response\":{\"Error\":\"rejected\"}}");
    return;
  }
  sb_puts(&out, "{\"ok\":true,\"response\":{");
  int sep = 0;
  if (val.len) {
    sb_puts(&out, "\"Output\":");
    sb_putn(&out, sb_str(&val), val.len);
    sep = 1;
  } else if (!c->error) {
    sb_puts(&out, "\"Output\":\"\"");
    sep = 1;
  }
  if (c->error) {
    if (sep) sb_putc(&out, ',');
    sb_puts(&out, "\"Error\":");
    sb_jstr(&out, c->error, strlen(c->error));
    sep = 1;
  }
  if (sep) sb_putc(&out, ',');
  if (c->sends) sb_puts(&out, c->sends);
  else sb_puts(&out, "\"Messages\":[],\"Spawns\":[],\"Assignments\":[]");
  sb_puts(&out, "}}");
}

static const char oom_response[] =
    "{\"ok\":true,\"response\":{\"Error\":\"out of memory\",\"Messages\":[],\"Spawns\":[],\"Assignments\":[]}}";

EXPORT char *handle(char *msg, char *env) {
  if (!st) {
    st = calloc(1, sizeof *st);
    if (!st) return (char *)oom_response;
  }
  call c;
  memset(&c, 0, sizeof c);
  c.msg = msg ? msg : "{}";
  c.env = env ? env : "{}";
  size_t len;
  c.action = json_tag(c.msg, "Action", &len);
  c.data = json_string(json_member(c.msg, "Data"), &c.data_len);

  st->handled++;
  char *id = json_string(json_member(c.msg, "Id"), &len);
  if (id) {
    snprintf(st->last_id, sizeof st->last_id, "%s", id);
    free(id);
  }
  double d;
  if (json_number(json_member(c.msg, "Timestamp"), &d)) st->last_timestamp = d;
  if (json_number(json_member(c.msg, "Block-Height"), &d)) st->last_height = d;

  sb_reset(&val);
#ifdef AO_RICH
  if (protected_call(dispatch, &c, NULL) && !c.error) c.error = "longjmp";
#else
  dispatch(&c, NULL);
#endif
  compose(&c);
  free(c.action);
  free(c.data);
  if (out.oom || val.oom) return (char *)oom_response;
  return (char *)sb_str(&out);
}

#ifdef AO_RICH
// The fmt1-3 glues call main at boot: fmt2 with argv = [thisProgram, ...],
// fmt1 and fmt3 with (0, NULL).
int main(int argc, char **argv) {
  main_argc = argc;
  sb a = {0};
  sb_putc(&a, '[');
  for (int i = 0; i < argc && argv && argv[i]; i++) {
    if (i) sb_putc(&a, ',');
    sb_jstr(&a, argv[i], strlen(argv[i]));
  }
  sb_putc(&a, ']');
  snprintf(main_argv, sizeof main_argv, "%s", sb_str(&a));
  free(a.buf);
  return 0;
}
#else
int main(void) { return 0; }
#endif
