/* A randomized check of CSchedulerAllocator against a flat reference array, built with the
 * address and undefined-behaviour sanitizers (not a SwiftPM target; run it by hand):
 *
 *   cc -std=c11 -O1 -g -Wall -Wextra -pedantic -fsanitize=address,undefined \
 *      -I CSources/CSchedulerAllocator/include CSources/CSchedulerAllocator/allocator.c \
 *      bench/pool/AllocatorCheck/allocator_check.c -o /tmp/allocator_check && /tmp/allocator_check
 *
 * It covers every range size from 2^0 to 2^18 (allocate, mark, unmark, take, values, exhaustion,
 * lowest-free order, memory back to its baseline when empty) and sparse 128-bit offsets in
 * ranges of 2^60 to 2^128, including the digit that straddles the two 64-bit halves. */
#include "CSchedulerAllocator.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 88172645463325252ull;
static uint64_t next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* reference[x]: -1 free, -2 used without a value, else the value stored. */
static void check_dense(unsigned host_bits) {
    cschedalloc *a;
    assert(cschedalloc_create(host_bits, &a) == 0);
    size_t baseline = cschedalloc_memory_bytes(a);
    uint32_t n = 1u << host_bits;
    uint32_t used = 0, valued = 0;
    long long *reference = malloc(sizeof(long long) * n);
    for (uint32_t i = 0; i < n; i++) reference[i] = -1;
    for (int step = 0; step < 200000; step++) {
        uint32_t x = (uint32_t)(next_random() % n);
        cschedalloc_offset at = {0, x};
        switch (next_random() % 7) {
        case 0:
        case 1: {
            int plain = next_random() % 4 == 0;
            uint64_t value = next_random() % 1000000 + ((uint64_t)1 << 40);
            cschedalloc_offset got;
            int rc = plain ? cschedalloc_allocate(a, &got) : cschedalloc_allocate_value(a, value, &got);
            if (used == n) {
                assert(rc == CSCHEDALLOC_ENOSPC);
                break;
            }
            assert(rc == 0 && got.high == 0 && got.low < n && reference[got.low] == -1);
            for (uint32_t below = 0; n <= 4096 && below < got.low; below++) assert(reference[below] != -1);
            reference[got.low] = plain ? -2 : (long long)value;
            used++;
            valued += !plain;
            break;
        }
        case 2: {
            int rc = cschedalloc_unmark(a, at);
            if (reference[x] != -1) {
                assert(rc == 0);
                valued -= reference[x] >= 0;
                reference[x] = -1;
                used--;
            } else {
                assert(rc == CSCHEDALLOC_ENOENT);
            }
            break;
        }
        case 5: {
            uint64_t value = 777;
            int rc = cschedalloc_take(a, at, &value);
            if (reference[x] >= 0) {
                assert(rc == 0 && value == (uint64_t)reference[x]);
                reference[x] = -1;
                used--;
                valued--;
            } else {
                assert(rc == CSCHEDALLOC_ENOENT && value == 777);
            }
            break;
        }
        case 3: {
            int rc = cschedalloc_mark_value(a, at, x * 3u);
            if (reference[x] == -1) {
                assert(rc == 0);
                reference[x] = (long long)x * 3;
                used++;
                valued++;
            } else {
                assert(rc == CSCHEDALLOC_EEXIST);
            }
            break;
        }
        case 4: {
            int rc = cschedalloc_mark(a, at);
            if (reference[x] == -1) {
                assert(rc == 0);
                reference[x] = -2;
                used++;
            } else {
                assert(rc == CSCHEDALLOC_EEXIST);
            }
            break;
        }
        default: {
            uint64_t value = 12345;
            int rc = cschedalloc_value(a, at, &value);
            if (reference[x] >= 0) {
                assert(rc == 0 && value == (uint64_t)reference[x]);
            } else {
                assert(rc == CSCHEDALLOC_ENOENT);
            }
            assert(cschedalloc_test(a, at) == (reference[x] != -1));
        }
        }
        assert(cschedalloc_used(a).low == used && cschedalloc_used(a).high == 0);
        assert(cschedalloc_valued(a).low == valued && cschedalloc_valued(a).high == 0);
        assert(cschedalloc_is_full(a) == (used == n));
    }
    cschedalloc_offset beyond = {0, n};
    assert(host_bits >= 64 || cschedalloc_mark(a, beyond) == CSCHEDALLOC_ERANGE);
    for (uint32_t x = 0; x < n; x++) {
        cschedalloc_offset at = {0, x};
        if (reference[x] != -1) assert(cschedalloc_unmark(a, at) == 0);
    }
    assert(cschedalloc_memory_bytes(a) == baseline);
    cschedalloc_destroy(a);
    free(reference);
}

static void check_sparse(unsigned host_bits) {
    cschedalloc *a;
    assert(cschedalloc_create(host_bits, &a) == 0);
    size_t baseline = cschedalloc_memory_bytes(a);
    cschedalloc_offset offsets[1000];
    for (int i = 0; i < 1000; i++) {
        cschedalloc_offset o = {next_random(), next_random()};
        if (host_bits < 64) {
            o.high = 0;
            o.low &= ((uint64_t)1 << host_bits) - 1;
        } else if (host_bits < 128) {
            o.high &= host_bits == 64 ? 0 : ((uint64_t)1 << (host_bits - 64)) - 1;
        }
        assert(cschedalloc_mark_value(a, o, (uint64_t)i << 32 | (uint64_t)i) == 0);
        offsets[i] = o;
    }
    for (int i = 0; i < 1000; i++) {
        uint64_t value;
        assert(cschedalloc_value(a, offsets[i], &value) == 0 && value == ((uint64_t)i << 32 | (uint64_t)i));
        if (i % 2) {
            assert(cschedalloc_take(a, offsets[i], &value) == 0 && value == ((uint64_t)i << 32 | (uint64_t)i));
            assert(cschedalloc_take(a, offsets[i], &value) == CSCHEDALLOC_ENOENT);
        } else {
            assert(cschedalloc_unmark(a, offsets[i]) == 0);
        }
        assert(cschedalloc_unmark(a, offsets[i]) == CSCHEDALLOC_ENOENT);
    }
    assert(cschedalloc_memory_bytes(a) == baseline);
    for (uint64_t i = 0; i < 10000; i++) {
        cschedalloc_offset o;
        assert(cschedalloc_allocate(a, &o) == 0 && o.high == 0 && o.low == i);
    }
    cschedalloc_destroy(a);
}

int main(void) {
    for (unsigned bits = 0; bits <= 18; bits++) check_dense(bits);
    for (unsigned bits = 60; bits <= 128; bits++) check_sparse(bits);
    /* The 6-bit digit at bit 60 straddles the two halves. */
    cschedalloc *a;
    assert(cschedalloc_create(66, &a) == 0);
    cschedalloc_offset o = {3, 0xF000000000000123ull}, p = {3, 0xE000000000000123ull}, q = {2, 0xF000000000000123ull};
    assert(cschedalloc_mark(a, o) == 0);
    assert(cschedalloc_test(a, o) == 1 && cschedalloc_test(a, p) == 0 && cschedalloc_test(a, q) == 0);
    cschedalloc_destroy(a);
    puts("allocator_check: ok");
    return 0;
}
