// The few libc entry points the wasm32 test program needs, as plain (non-variadic) functions
// that Embedded Swift can call.
#ifndef CWASMTESTSUPPORT_H
#define CWASMTESTSUPPORT_H

/// Ends the program with `code` as its WASI exit status (wasmkit returns it as its own).
/// The corresponding C function is `exit`.
_Noreturn void cwasmtest_exit(int code);

#endif
