#include "CZlib.h"

#include <stdatomic.h>
#include <stdlib.h>

int czlib_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}

int czlib_inflate_init(z_stream *stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

// Allocations with a 16-byte header holding their size, so that frees can be counted too.
static _Atomic long counted_bytes;

static voidpf counting_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    size_t bytes = (size_t)items * size;
    unsigned char *block = malloc(bytes + 16);
    if (block == NULL) return NULL;
    *(size_t *)block = bytes;
    atomic_fetch_add(&counted_bytes, (long)bytes);
    return block + 16;
}

static void counting_free(voidpf opaque, voidpf address) {
    (void)opaque;
    unsigned char *block = (unsigned char *)address - 16;
    atomic_fetch_sub(&counted_bytes, (long)*(size_t *)block);
    free(block);
}

int czlib_deflate_init2(z_stream *stream, int level, int window_bits, int mem_level) {
    stream->zalloc = counting_alloc;
    stream->zfree = counting_free;
    stream->opaque = Z_NULL;
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, mem_level, Z_DEFAULT_STRATEGY);
}

int czlib_inflate_init_counted(z_stream *stream, int window_bits) {
    stream->zalloc = counting_alloc;
    stream->zfree = counting_free;
    stream->opaque = Z_NULL;
    return inflateInit2(stream, window_bits);
}

long czlib_counted_bytes(void) {
    return atomic_load(&counted_bytes);
}
