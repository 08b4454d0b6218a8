/* The linear-scan peer described in include/CLinearScan.h. */
#include "CLinearScan.h"

#include <errno.h>
#include <stdlib.h>

struct clinearscan {
    uint64_t *words;
    uint64_t size;
    uint64_t free;
    uint64_t random_state;
};

static uint64_t next_random(clinearscan *b) {
    uint64_t z = (b->random_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int clinearscan_create(uint64_t size, uint64_t seed, clinearscan **out) {
    if (!out || size == 0) return -EINVAL;
    clinearscan *b = calloc(1, sizeof(clinearscan));
    if (!b) return -ENOMEM;
    b->words = calloc((size + 63) / 64, sizeof(uint64_t));
    if (!b->words) {
        free(b);
        return -ENOMEM;
    }
    b->size = size;
    b->free = size;
    b->random_state = seed;
    *out = b;
    return 0;
}

void clinearscan_destroy(clinearscan *b) {
    if (!b) return;
    free(b->words);
    free(b);
}

static inline int is_set(const clinearscan *b, uint64_t at) { return (b->words[at >> 6] >> (at & 63)) & 1u; }

int64_t clinearscan_allocate_bitwise(clinearscan *b) {
    if (b->free == 0) return -ENOSPC;
    uint64_t start = next_random(b) % b->size;
    for (uint64_t i = 0; i < b->size; i++) {
        uint64_t at = start + i;
        if (at >= b->size) at -= b->size;
        if (!is_set(b, at)) {
            b->words[at >> 6] |= (uint64_t)1 << (at & 63);
            b->free--;
            return (int64_t)at;
        }
    }
    return -ENOSPC;
}

int64_t clinearscan_allocate_wordwise(clinearscan *b) {
    if (b->free == 0) return -ENOSPC;
    uint64_t count = (b->size + 63) / 64;
    uint64_t start = next_random(b) % b->size;
    uint64_t word = start >> 6;
    /* The first word only from the start bit on; then whole words, wrapping; then the first
     * word's bits below the start. */
    uint64_t mask = ~(uint64_t)0 << (start & 63);
    for (uint64_t i = 0; i <= count; i++) {
        uint64_t index = (word + i) % count;
        uint64_t candidates = ~b->words[index];
        if (i == 0) candidates &= mask;
        if (i == count) candidates &= ~mask;
        if (candidates) {
            uint64_t at = index * 64 + (uint64_t)__builtin_ctzll(candidates);
            if (at >= b->size) break;
            b->words[index] |= (uint64_t)1 << (at & 63);
            b->free--;
            return (int64_t)at;
        }
    }
    return -ENOSPC;
}

int clinearscan_release(clinearscan *b, uint64_t offset) {
    if (offset >= b->size) return -ERANGE;
    if (!is_set(b, offset)) return -ENOENT;
    b->words[offset >> 6] &= ~((uint64_t)1 << (offset & 63));
    b->free++;
    return 0;
}
