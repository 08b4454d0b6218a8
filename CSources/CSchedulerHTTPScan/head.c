/* A whole request head in one call: see include/CSchedulerHTTPScan.h. */
#include "scan_inline.h"

/* The first letter (lowercase) of the framing field names by their length: Host (4), Expect (6),
 * Upgrade (7), Connection (10), Content-Length (14), Transfer-Encoding (17). */
static const uint8_t framing_first[32] = {
    [4] = 'h', [6] = 'e', [7] = 'u', [10] = 'c', [14] = 'c', [17] = 't',
};

int csched_http_scan_head(const uint8_t *p, size_t end, size_t max_target, csched_http_field_span *spans,
                          size_t room, csched_http_head_scan *out) {
    if (!scan_request_line(p, end, max_target, &out->line)) return 0;
    if (room > 64) room = 64;
    size_t next = 0;
    size_t taken = scan_field_lines(p, (size_t)out->line.line_end, end, spans, room, &next);
    uint64_t framing = 0;
    for (size_t k = 0; k < taken; k++) {
        size_t length = (size_t)(spans[k].name_end - spans[k].name_start);
        if (length < 32 && framing_first[length] != 0 && (p[spans[k].name_start] | 0x20) == framing_first[length]) {
            framing |= 1ull << k;
        }
    }
    out->field_count = (int32_t)taken;
    out->next = (int32_t)next;
    out->framing = framing;
    out->head_end = -1;
    if (next + 1 < end && p[next] == '\r' && p[next + 1] == '\n') out->head_end = (int32_t)(next + 2);
    return 1;
}
