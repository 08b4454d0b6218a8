/* Field lines in bulk: see include/CSchedulerHTTPScan.h. */
#include "scan_inline.h"

size_t csched_http_field_lines(const uint8_t *p, size_t start, size_t end, csched_http_field_span *out,
                               size_t room, size_t *next) {
    return scan_field_lines(p, start, end, out, room, next);
}
