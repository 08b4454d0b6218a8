// The llhttp side of bench/http: parses one request head `n` times with callbacks that keep
// each header's name and value as pointer spans (what a zero-copy server built on llhttp does).
// Built by bench/http/run.sh against the llhttp sources Debian's node-llhttp installs.
#include <stddef.h>
#include <stdint.h>
#include "llhttp.h"

typedef struct { const char *p; size_t n; } span_t;
typedef struct { span_t names[128]; span_t values[128]; int fields; int complete; } spans_t;

static int on_field(llhttp_t *h, const char *at, size_t len) {
  spans_t *s = h->data;
  if (s->fields < 128) { s->names[s->fields].p = at; s->names[s->fields].n = len; }
  return 0;
}
static int on_value(llhttp_t *h, const char *at, size_t len) {
  spans_t *s = h->data;
  if (s->fields < 128) { s->values[s->fields].p = at; s->values[s->fields].n = len; }
  return 0;
}
static int on_value_complete(llhttp_t *h) { ((spans_t *)h->data)->fields++; return 0; }
static int on_headers_complete(llhttp_t *h) { ((spans_t *)h->data)->complete++; return 0; }

/// Parses `data` `n` times; returns the number of header fields seen in total, or -1 on error.
long bench_llhttp(const char *data, size_t len, long n) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_header_field = on_field;
  settings.on_header_value = on_value;
  settings.on_header_value_complete = on_value_complete;
  settings.on_headers_complete = on_headers_complete;
  llhttp_t parser;
  spans_t spans;
  long total = 0;
  for (long i = 0; i < n; i++) {
    spans.fields = 0;
    spans.complete = 0;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = &spans;
    if (llhttp_execute(&parser, data, len) != HPE_OK || spans.complete != 1) return -1;
    total += spans.fields;
  }
  return total;
}
