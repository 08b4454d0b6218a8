/* Buffers: received chunks handed to the owner and queued sends, in three size classes kept
 * for reuse on the loop thread. A lent buffer points into the io_uring receive ring and goes
 * back to the ring when released, so an echo sends the received bytes without copying them. */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The class a buffer of `capacity` inline bytes belongs to, or -1 for an odd size. */
static int cse_class_of(const cse_loop *loop, const cse_buffer *node) {
    if (node->bid >= 0) return CSE_CLASS_LENT;
    if (node->capacity == CSE_SMALL_BUFFER) return CSE_CLASS_SMALL;
    if (node->capacity == loop->config.buffer_size) return CSE_CLASS_LARGE;
    return -1;
}

static int cse_can_cache(const cse_loop *loop) { return cse_on_this_loop(loop) && !loop->dead; }

static cse_buffer *cse_node_alloc(cse_loop *loop, int class, size_t capacity) {
    if (class >= 0 && cse_can_cache(loop) && loop->node_cache_count[class] > 0)
        return loop->node_cache[class][--loop->node_cache_count[class]];
    cse_buffer *node = malloc(sizeof *node + capacity);
    if (node) node->capacity = (uint32_t)capacity;
    return node;
}

/* A buffer with room for `length` bytes, `data` at its start; NULL when memory ran out.
 * A large cached block is taken only on the loop thread and for at least a quarter of its
 * size: queued sends are counted in bytes, and a block per small message would multiply the
 * memory they hold. */
cse_buffer *cse_node_take(cse_loop *loop, size_t length) {
    size_t large = loop->config.buffer_size;
    int class = -1;
    size_t capacity = length;
    if (length <= CSE_SMALL_BUFFER) {
        class = CSE_CLASS_SMALL;
        capacity = CSE_SMALL_BUFFER;
    } else if (length <= large && length >= large / 4 && cse_can_cache(loop)) {
        class = CSE_CLASS_LARGE;
        capacity = large;
    }
    cse_buffer *node = cse_node_alloc(loop, class, capacity);
    if (!node) return NULL;
    node->next = NULL;
    node->data = node->bytes;
    node->length = length;
    node->reported = 0;
    node->bid = -1;
    return node;
}

/* A header for receive-ring buffer `bid` holding `length` bytes; loop thread only. */
cse_buffer *cse_node_lend(cse_loop *loop, unsigned bid, size_t length) {
    cse_buffer *node = cse_node_alloc(loop, CSE_CLASS_LENT, 0);
    if (!node) return NULL;
    node->next = NULL;
    node->data = loop->buffers + (size_t)bid * loop->config.buffer_size;
    node->length = length;
    node->reported = 0;
    node->capacity = loop->config.buffer_size;
    node->bid = (int32_t)bid;
    loop->buffers_lent++;
    return node;
}

/* Returns a buffer: a lent one to the ring, the rest to the cache or the C library. Another
 * thread's release of a lent buffer is posted to the loop (the ring is the loop's alone). */
void cse_node_release(cse_loop *loop, cse_buffer *node) {
    if (!cse_can_cache(loop)) {
        if (node->bid >= 0 && !cse_on_this_loop(loop) &&
            cse_post(loop, (cse_command){CSE_CMD_RELEASE, 0, node}) == 0)
            return;
        /* The loop has stopped: its ring is gone, only the header is ours to free. */
        free(node);
        return;
    }
    if (node->bid >= 0) {
        loop->ops->recycle(loop, (unsigned)node->bid);
        loop->buffers_lent--;
    }
    int class = cse_class_of(loop, node);
    if (class >= 0 && loop->node_cache_count[class] < CSE_NODE_CACHE) {
        loop->node_cache[class][loop->node_cache_count[class]++] = node;
        return;
    }
    free(node);
}

/* Frees every cached buffer; the loop thread, once the loop is dead. */
void cse_node_cache_free(cse_loop *loop) {
    for (int class = 0; class < CSE_CLASS_COUNT; class++) {
        while (loop->node_cache_count[class] > 0)
            free(loop->node_cache[class][--loop->node_cache_count[class]]);
    }
}

int cse_send_buffer(cse_loop *loop, uint64_t connection, cse_buffer *buffer) {
    if (buffer->length == 0) {
        cse_node_release(loop, buffer);
        return 0;
    }
    buffer->next = NULL;
    int rc = cse_post(loop, (cse_command){CSE_CMD_SEND, connection, buffer});
    if (rc < 0) cse_node_release(loop, buffer);
    return rc;
}

void cse_buffer_release(cse_loop *loop, cse_buffer *buffer) { cse_node_release(loop, buffer); }

int cse_send(cse_loop *loop, uint64_t connection, const void *bytes, size_t length) {
    if (length == 0) return 0;
    cse_buffer *node = cse_node_take(loop, length);
    if (!node) return -ENOMEM;
    memcpy(node->data, bytes, length);
    int rc = cse_post(loop, (cse_command){CSE_CMD_SEND, connection, node});
    if (rc < 0) cse_node_release(loop, node);
    return rc;
}
