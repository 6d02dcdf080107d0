# rt.S: the emscripten stack exports the fmt4/wasm64 glue calls, and, with
# -DAOGO_MANUAL_ASYNCIFY (wasm64, where binaryen 108's --asyncify cannot
# handle memory64), the five Asyncify exports with binaryen's semantics: a
# state global (0 normal, 1 unwinding, 2 rewinding) and a data pointer to
# {ptr cur, ptr end}. aoproc.c saves and restores its own context.

#ifdef __wasm64__
#define PTR i64
#define PSZ 8
#else
#define PTR i32
#define PSZ 4
#endif

.globaltype __stack_pointer, PTR

# Set by emscripten_stack_init, as in emscripten: 0 until the host calls it.
.globaltype aogo_stack_base, PTR
aogo_stack_base:
.globaltype aogo_stack_end, PTR
aogo_stack_end:

.globl emscripten_stack_init
emscripten_stack_init:
  .functype emscripten_stack_init () -> ()
  PTR.const __heap_base
  global.set aogo_stack_base
  PTR.const __data_end
  PTR.const 15
  PTR.add
  PTR.const -16
  PTR.and
  global.set aogo_stack_end
  end_function

.globl emscripten_stack_get_base
emscripten_stack_get_base:
  .functype emscripten_stack_get_base () -> (PTR)
  global.get aogo_stack_base
  end_function

.globl emscripten_stack_get_end
emscripten_stack_get_end:
  .functype emscripten_stack_get_end () -> (PTR)
  global.get aogo_stack_end
  end_function

.globl emscripten_stack_get_free
emscripten_stack_get_free:
  .functype emscripten_stack_get_free () -> (PTR)
  global.get __stack_pointer
  global.get aogo_stack_end
  PTR.sub
  end_function

.globl emscripten_stack_get_current
emscripten_stack_get_current:
  .functype emscripten_stack_get_current () -> (PTR)
  global.get __stack_pointer
  end_function

.globl _emscripten_stack_restore
_emscripten_stack_restore:
  .functype _emscripten_stack_restore (PTR) -> ()
  local.get 0
  global.set __stack_pointer
  end_function

# sp = (sp - size) & ~15; return sp
.globl _emscripten_stack_alloc
_emscripten_stack_alloc:
  .functype _emscripten_stack_alloc (PTR) -> (PTR)
  .local PTR
  global.get __stack_pointer
  local.get 0
  PTR.sub
  PTR.const -16
  PTR.and
  local.tee 1
  global.set __stack_pointer
  local.get 1
  end_function

#ifdef AOGO_MANUAL_ASYNCIFY

.globaltype aogo_asyncify_state_g, i32
aogo_asyncify_state_g:
.globaltype aogo_asyncify_data_g, PTR
aogo_asyncify_data_g:

# Traps (as binaryen's Asyncify does) when data->cur > data->end.
.globl aogo_asyncify_check
aogo_asyncify_check:
  .functype aogo_asyncify_check () -> ()
  global.get aogo_asyncify_data_g
  PTR.load 0
  global.get aogo_asyncify_data_g
  PTR.load PSZ
  PTR.gt_u
  if
  unreachable
  end_if
  end_function

.globl asyncify_start_unwind
asyncify_start_unwind:
  .functype asyncify_start_unwind (PTR) -> ()
  i32.const 1
  global.set aogo_asyncify_state_g
  local.get 0
  global.set aogo_asyncify_data_g
  call aogo_asyncify_check
  end_function

.globl asyncify_stop_unwind
asyncify_stop_unwind:
  .functype asyncify_stop_unwind () -> ()
  i32.const 0
  global.set aogo_asyncify_state_g
  call aogo_asyncify_check
  end_function

.globl asyncify_start_rewind
asyncify_start_rewind:
  .functype asyncify_start_rewind (PTR) -> ()
  i32.const 2
  global.set aogo_asyncify_state_g
  local.get 0
  global.set aogo_asyncify_data_g
  call aogo_asyncify_check
  end_function

.globl asyncify_stop_rewind
asyncify_stop_rewind:
  .functype asyncify_stop_rewind () -> ()
  i32.const 0
  global.set aogo_asyncify_state_g
  call aogo_asyncify_check
  end_function

.globl asyncify_get_state
asyncify_get_state:
  .functype asyncify_get_state () -> (i32)
  global.get aogo_asyncify_state_g
  end_function

.globl aogo_asyncify_data
aogo_asyncify_data:
  .functype aogo_asyncify_data () -> (PTR)
  global.get aogo_asyncify_data_g
  end_function

#endif
