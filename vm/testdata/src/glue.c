// glue.c: libc functions re-implemented on top of the imports each AO format's
// JS glue provides (see glue.h). Definitions here take precedence over
// emscripten's JS library functions of the same name, so the linked module
// never imports "time", "clock", "__syscall_open", ... .
#include "glue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>

// time(): whole seconds of the glue's date_now (what newer emscripten's libc
// does). Always 0 under fmt1/fmt2 glue.
time_t time(time_t *t) {
  time_t now = (time_t)(glue_date_now() / 1000.0);
  if (t) *t = now;
  return now;
}

// clock(): microseconds (CLOCKS_PER_SEC is 1000000) of the monotonic clock,
// or -1 when it is not a finite number (fmt2: NaN). fmt1 has no monotonic
// import, so it uses date_now (0).
clock_t clock(void) {
#ifdef GLUE_HAS_GET_NOW
  double ms = glue_get_now();
#else
  double ms = glue_date_now();
#endif
  if (!(ms == ms) || ms > 2e9 || ms < -2e9) return (clock_t)-1;
  return (clock_t)(ms * 1000.0);
}

// musl's fopen calls __syscall_open(path, flags, mode); the glues only have
// __syscall_openat(dirfd, path, flags, varargs). The varargs pointer (holding
// mode) is passed through unchanged.
long __syscall_open(long path, long flags, ...) {
  va_list ap;
  va_start(ap, flags);
  long fd = glue_openat(AT_FDCWD, (const char *)path, flags, (void *)ap);
  va_end(ap);
  return fd;
}

struct tm *ao_gmtime_r(const time_t *t, struct tm *tm) {
  memset(tm, 0, sizeof *tm);
#if AO_FMT == 3
  int64_t v = (int64_t)*t;
  glue_gmtime_js((int32_t)(uint32_t)(uint64_t)v, (int32_t)(v >> 32), tm);
#else
  int32_t v = (int32_t)*t;
  glue_gmtime_js(&v, tm);
#endif
  tm->tm_isdst = 0;
  tm->tm_gmtoff = 0;
  tm->tm_zone = "GMT";
  return tm;
}

#if AO_FMT == 3
// newer libc system(): the glue returns -errno (-52, ENOSYS) or a wait status.
int system(const char *cmd) {
  int r = glue_system(cmd);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  return r;
}

// fmt3 glue has no getTempRet0/setTempRet0 imports (newer emscripten keeps
// tempRet0 in the module and exports setTempRet0, which the glue's _mktime_js
// calls). The setjmp lowering of emscripten 3.1.6 needs both, so define them
// here; the build exports setTempRet0.
static int32_t temp_ret0;
int32_t getTempRet0(void) { return temp_ret0; }
void setTempRet0(int32_t v) { temp_ret0 = v; }
#endif
