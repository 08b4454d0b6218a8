#include "CWasmTestSupport.h"

#include <stdlib.h>

_Noreturn void cwasmtest_exit(int code) {
    exit(code);
}
