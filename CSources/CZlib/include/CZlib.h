#ifndef CZLIB_H
#define CZLIB_H

// zlib (Debian's zlib1g-dev) for the HTTP compression middleware. deflateInit2 and inflateInit2
// are macros Swift cannot call, so they are wrapped here as functions.
#include <zlib.h>

/// deflateInit2 with the given level and window bits (15 for zlib "deflate", 31 for gzip).
int czlib_deflate_init(z_stream *stream, int level, int window_bits);

/// deflateInit2 with the given level, window bits (negative: raw deflate) and memory level; the
/// stream's memory is counted in czlib_counted_bytes (WebSocket permessage-deflate).
int czlib_deflate_init2(z_stream *stream, int level, int window_bits, int mem_level);

/// inflateInit2 with the given window bits, the stream's memory counted like czlib_deflate_init2's.
int czlib_inflate_init_counted(z_stream *stream, int window_bits);

/// Bytes zlib holds right now for the streams set up by the two functions above.
long czlib_counted_bytes(void);

/// inflateInit2 with the given window bits (47 detects zlib or gzip).
int czlib_inflate_init(z_stream *stream, int window_bits);

#endif
