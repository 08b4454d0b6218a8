/* The sparse hierarchical bitmap described in include/CSchedulerAllocator.h. */
#include "CSchedulerAllocator.h"

#include <stdlib.h>
#include <string.h>

#define LEAF_BITS 12u  /* a leaf covers 4096 offsets: 64 words of 64 bits */
#define FANOUT_BITS 6u /* an internal node has 64 children */
#define MAX_DEPTH 20u  /* ceil((128 - 12) / 6) internal levels at most */
#define ALL_ONES UINT64_MAX

/* The hot helpers are inlined into allocate and take: one call per operation, not four. */
#if defined(__GNUC__) || defined(__clang__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

typedef struct leaf {
    uint64_t full; /* bit w: words[w] is all ones */
    uint64_t words[64];
    uint64_t *values[64]; /* values[w][b]: 1 + the value stored with bit b of words[w], 0 for none;
                             values[w][64]: how many are stored; a block exists only while one is */
    uint32_t used;
} leaf;

#define VALUE_COUNT 64 /* index of a block's count of stored values */
#define VALUE_BLOCK_BYTES (65 * sizeof(uint64_t))

typedef struct node {
    uint64_t full;    /* bit i: child i is full (or does not exist in the range) */
    uint64_t present; /* bit i: child[i] is allocated; absent children are entirely free */
    void *child[64];
} node;

struct cschedalloc {
    unsigned host_bits;
    unsigned depth; /* internal levels above the leaves; 0 when the root is a leaf */
    void *root;
    cschedalloc_offset used;
    cschedalloc_offset valued; /* offsets in use that carry a value */
    size_t memory;
};

/* The walk from the root to a leaf: the node at each level and the child index taken. */
typedef struct path {
    node *nodes[MAX_DEPTH];
    unsigned index[MAX_DEPTH];
} path;

static inline uint64_t bit(unsigned index) { return (uint64_t)1 << index; }

static inline unsigned lowest_zero(uint64_t word) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(~word);
#else
    unsigned index = 0;
    word = ~word;
    while (!(word & 1u)) {
        word >>= 1;
        index++;
    }
    return index;
#endif
}

/* The 6-bit digit of `offset` that starts at bit `shift` (a multiple of 6 below 128). */
static inline unsigned digit_at(cschedalloc_offset offset, unsigned shift) {
    uint64_t value;
    if (shift >= 64) {
        value = offset.high >> (shift - 64);
    } else if (shift == 0) {
        value = offset.low;
    } else {
        value = (offset.low >> shift) | (offset.high << (64 - shift));
    }
    return (unsigned)(value & 63u);
}

static inline void set_digit(cschedalloc_offset *offset, unsigned digit, unsigned shift) {
    if (shift >= 64) {
        offset->high |= (uint64_t)digit << (shift - 64);
    } else {
        offset->low |= (uint64_t)digit << shift;
        if (shift + FANOUT_BITS > 64) offset->high |= (uint64_t)digit >> (64 - shift);
    }
}

/* The bit where the child index of internal level `level` (0 = root) starts. */
static inline unsigned level_shift(const cschedalloc *a, unsigned level) {
    return LEAF_BITS + FANOUT_BITS * (a->depth - 1 - level);
}

HOT int in_range(const cschedalloc *a, cschedalloc_offset offset) {
    if (a->host_bits >= 128) return 1;
    if (a->host_bits >= 64) return (offset.high >> (a->host_bits - 64)) == 0;
    return offset.high == 0 && (offset.low >> a->host_bits) == 0;
}

static inline void count_up(cschedalloc_offset *count) {
    if (++count->low == 0) count->high++;
}

static inline void count_down(cschedalloc_offset *count) {
    if (count->low-- == 0) count->high--;
}

static leaf *new_leaf(cschedalloc *a) {
    leaf *created = calloc(1, sizeof(leaf));
    if (created) a->memory += sizeof(leaf);
    return created;
}

static node *new_node(cschedalloc *a) {
    node *created = calloc(1, sizeof(node));
    if (created) a->memory += sizeof(node);
    return created;
}

static uint64_t root_summary(const cschedalloc *a) {
    return a->depth == 0 ? ((const leaf *)a->root)->full : ((const node *)a->root)->full;
}

/* Frees the empty nodes at the bottom of a walk that reached `levels` internal levels, the
 * leaf `bottom` included when it is empty (the root is never freed). */
static void free_leaf(cschedalloc *a, leaf *target) {
    for (unsigned w = 0; w < 64; w++) {
        if (target->values[w]) {
            free(target->values[w]);
            a->memory -= VALUE_BLOCK_BYTES;
        }
    }
    free(target);
    a->memory -= sizeof(leaf);
}

static void prune(cschedalloc *a, path *walk, unsigned levels, leaf *bottom) {
    if (bottom && levels == a->depth && a->depth > 0 && bottom->used == 0) {
        node *parent = walk->nodes[levels - 1];
        parent->present &= ~bit(walk->index[levels - 1]);
        parent->child[walk->index[levels - 1]] = NULL;
        free_leaf(a, bottom);
    }
    for (unsigned level = levels; level-- > 1;) {
        node *current = walk->nodes[level];
        if (current->present != 0) break;
        node *parent = walk->nodes[level - 1];
        parent->present &= ~bit(walk->index[level - 1]);
        parent->child[walk->index[level - 1]] = NULL;
        free(current);
        a->memory -= sizeof(node);
    }
}

/* Walks to the leaf of `offset`, creating absent nodes when `create` is set. Returns the leaf,
 * or NULL with *result CSCHEDALLOC_ENOMEM (created nodes pruned) or CSCHEDALLOC_ENOENT. */
HOT leaf *descend(cschedalloc *a, cschedalloc_offset offset, int create, path *walk, int *result) {
    void *current = a->root;
    for (unsigned level = 0; level < a->depth; level++) {
        node *parent = current;
        unsigned index = digit_at(offset, level_shift(a, level));
        walk->nodes[level] = parent;
        walk->index[level] = index;
        if (!(parent->present & bit(index))) {
            if (!create) {
                *result = CSCHEDALLOC_ENOENT;
                return NULL;
            }
            void *child = level + 1 == a->depth ? (void *)new_leaf(a) : (void *)new_node(a);
            if (!child) {
                prune(a, walk, level + 1, NULL);
                *result = CSCHEDALLOC_ENOMEM;
                return NULL;
            }
            parent->child[index] = child;
            parent->present |= bit(index);
        }
        current = parent->child[index];
    }
    *result = 0;
    return current;
}

/* The leaf of `offset`, walked to as `descend` does, with the word `w` and bit `b` of the
 * offset there; NULL with *result set (CSCHEDALLOC_ERANGE beyond the range). */
HOT leaf *locate(cschedalloc *a, cschedalloc_offset offset, int create, path *walk, unsigned *w, unsigned *b,
                 int *result) {
    if (!in_range(a, offset)) {
        *result = CSCHEDALLOC_ERANGE;
        return NULL;
    }
    *w = digit_at(offset, FANOUT_BITS);
    *b = (unsigned)(offset.low & 63u);
    return descend(a, offset, create, walk, result);
}

/* Sets bit `b` of word `w` of the leaf at the end of `walk` and propagates fullness upward. */
HOT void set_bit(cschedalloc *a, path *walk, leaf *target, unsigned w, unsigned b) {
    target->words[w] |= bit(b);
    target->used++;
    count_up(&a->used);
    if (target->words[w] != ALL_ONES) return;
    target->full |= bit(w);
    if (target->full != ALL_ONES) return;
    for (unsigned level = a->depth; level-- > 0;) {
        walk->nodes[level]->full |= bit(walk->index[level]);
        if (walk->nodes[level]->full != ALL_ONES) return;
    }
}

int cschedalloc_create(unsigned host_bits, cschedalloc **out) {
    if (!out || host_bits > 128) return CSCHEDALLOC_EINVAL;
    cschedalloc *a = calloc(1, sizeof(cschedalloc));
    if (!a) return CSCHEDALLOC_ENOMEM;
    a->host_bits = host_bits;
    a->memory = sizeof(cschedalloc);
    a->depth = host_bits <= LEAF_BITS ? 0 : (host_bits - LEAF_BITS + FANOUT_BITS - 1) / FANOUT_BITS;
    if (a->depth == 0) {
        leaf *root = new_leaf(a);
        if (!root) {
            free(a);
            return CSCHEDALLOC_ENOMEM;
        }
        /* Offsets at and beyond 2^host_bits do not exist: mark them used, uncounted. */
        unsigned capacity = 1u << host_bits;
        for (unsigned w = 0; w < 64; w++) {
            unsigned first = 64 * w;
            if (first >= capacity) {
                root->words[w] = ALL_ONES;
                root->full |= bit(w);
            } else if (capacity - first < 64) {
                root->words[w] = ALL_ONES << (capacity - first);
            }
        }
        a->root = root;
    } else {
        node *root = new_node(a);
        if (!root) {
            free(a);
            return CSCHEDALLOC_ENOMEM;
        }
        /* The root may use fewer than 64 children: the missing ones count as full. */
        unsigned root_bits = host_bits - LEAF_BITS - FANOUT_BITS * (a->depth - 1);
        if (root_bits < FANOUT_BITS) root->full = ALL_ONES << (1u << root_bits);
        a->root = root;
    }
    *out = a;
    return 0;
}

static void free_subtree(cschedalloc *a, void *current, unsigned levels_below) {
    if (levels_below == 0) {
        free_leaf(a, current);
        return;
    }
    node *n = current;
    for (unsigned i = 0; i < 64; i++) {
        if (n->present & bit(i)) free_subtree(a, n->child[i], levels_below - 1);
    }
    free(n);
}

void cschedalloc_destroy(cschedalloc *a) {
    if (!a) return;
    free_subtree(a, a->root, a->depth);
    free(a);
}

/* Makes sure word w of the leaf has a value block when a value is to be stored (stored != 0).
 * Returns 0 or CSCHEDALLOC_ENOMEM. */
HOT int ensure_value_block(cschedalloc *a, leaf *target, unsigned w, uint64_t stored) {
    if (stored == 0 || target->values[w]) return 0;
    target->values[w] = calloc(65, sizeof(uint64_t));
    if (!target->values[w]) return CSCHEDALLOC_ENOMEM;
    a->memory += VALUE_BLOCK_BYTES;
    return 0;
}

/* Stores `stored` (1 + a value; 0 stores nothing) with the free bit b of word w. */
HOT void store_value(cschedalloc *a, leaf *target, unsigned w, unsigned b, uint64_t stored) {
    if (stored == 0) return;
    target->values[w][b] = stored;
    target->values[w][VALUE_COUNT]++;
    count_up(&a->valued);
}

/* Allocation and marking with an optional value: `stored` is 1 + the value, or 0 for none. */
static int allocate_storing(cschedalloc *a, uint64_t stored, cschedalloc_offset *out) {
    if (!a || !out) return CSCHEDALLOC_EINVAL;
    if (root_summary(a) == ALL_ONES) return CSCHEDALLOC_ENOSPC;
    /* The first non-full child at each level leads to the lowest free offset. */
    cschedalloc_offset offset = {0, 0};
    path walk;
    void *current = a->root;
    for (unsigned level = 0; level < a->depth; level++) {
        node *parent = current;
        unsigned index = lowest_zero(parent->full);
        set_digit(&offset, index, level_shift(a, level));
        walk.nodes[level] = parent;
        walk.index[level] = index;
        if (!(parent->present & bit(index))) {
            void *child = level + 1 == a->depth ? (void *)new_leaf(a) : (void *)new_node(a);
            if (!child) {
                prune(a, &walk, level + 1, NULL);
                return CSCHEDALLOC_ENOMEM;
            }
            parent->child[index] = child;
            parent->present |= bit(index);
        }
        current = parent->child[index];
    }
    leaf *target = current;
    unsigned w = lowest_zero(target->full);
    unsigned b = lowest_zero(target->words[w]);
    if (ensure_value_block(a, target, w, stored) != 0) {
        prune(a, &walk, a->depth, target);
        return CSCHEDALLOC_ENOMEM;
    }
    set_digit(&offset, w, FANOUT_BITS);
    offset.low |= b;
    set_bit(a, &walk, target, w, b);
    store_value(a, target, w, b, stored);
    *out = offset;
    return 0;
}

int cschedalloc_allocate(cschedalloc *a, cschedalloc_offset *out) { return allocate_storing(a, 0, out); }

int cschedalloc_allocate_value(cschedalloc *a, uint64_t value, cschedalloc_offset *out) {
    if (value == UINT64_MAX) return CSCHEDALLOC_EINVAL;
    return allocate_storing(a, value + 1, out);
}

static int mark_storing(cschedalloc *a, cschedalloc_offset offset, uint64_t stored) {
    if (!a) return CSCHEDALLOC_EINVAL;
    path walk;
    unsigned w, b;
    int result;
    leaf *target = locate(a, offset, 1, &walk, &w, &b, &result);
    if (!target) return result;
    if (target->words[w] & bit(b)) return CSCHEDALLOC_EEXIST;
    if (ensure_value_block(a, target, w, stored) != 0) {
        prune(a, &walk, a->depth, target);
        return CSCHEDALLOC_ENOMEM;
    }
    set_bit(a, &walk, target, w, b);
    store_value(a, target, w, b, stored);
    return 0;
}

int cschedalloc_mark(cschedalloc *a, cschedalloc_offset offset) { return mark_storing(a, offset, 0); }

int cschedalloc_mark_value(cschedalloc *a, cschedalloc_offset offset, uint64_t value) {
    if (value == UINT64_MAX) return CSCHEDALLOC_EINVAL;
    return mark_storing(a, offset, value + 1);
}

/* Clears bit b of word w of the leaf at the end of `walk`, with its value if it has one, and
 * propagates "no longer full" upward; frees what became empty. */
HOT void clear_bit(cschedalloc *a, path *walk, leaf *target, unsigned w, unsigned b) {
    int leaf_was_full = target->full == ALL_ONES;
    target->words[w] &= ~bit(b);
    uint64_t *block = target->values[w];
    if (block && block[b] != 0) {
        block[b] = 0;
        count_down(&a->valued);
        if (--block[VALUE_COUNT] == 0) {
            free(block);
            target->values[w] = NULL;
            a->memory -= VALUE_BLOCK_BYTES;
        }
    }
    target->full &= ~bit(w);
    target->used--;
    count_down(&a->used);
    if (leaf_was_full) {
        for (unsigned level = a->depth; level-- > 0;) {
            node *n = walk->nodes[level];
            int was_full = n->full == ALL_ONES;
            n->full &= ~bit(walk->index[level]);
            if (!was_full) break;
        }
    }
    if (target->used == 0) prune(a, walk, a->depth, target);
}

int cschedalloc_unmark(cschedalloc *a, cschedalloc_offset offset) {
    if (!a) return CSCHEDALLOC_EINVAL;
    path walk;
    unsigned w, b;
    int result;
    leaf *target = locate(a, offset, 0, &walk, &w, &b, &result);
    if (!target) return result;
    if (!(target->words[w] & bit(b))) return CSCHEDALLOC_ENOENT;
    clear_bit(a, &walk, target, w, b);
    return 0;
}

int cschedalloc_take(cschedalloc *a, cschedalloc_offset offset, uint64_t *value) {
    if (!a || !value) return CSCHEDALLOC_EINVAL;
    path walk;
    unsigned w, b;
    int result;
    leaf *target = locate(a, offset, 0, &walk, &w, &b, &result);
    if (!target) return result;
    const uint64_t *block = target->values[w];
    uint64_t stored = block ? block[b] : 0;
    if (stored == 0) return CSCHEDALLOC_ENOENT;
    clear_bit(a, &walk, target, w, b);
    *value = stored - 1;
    return 0;
}

int cschedalloc_test(const cschedalloc *a, cschedalloc_offset offset) {
    if (!a) return CSCHEDALLOC_EINVAL;
    if (!in_range(a, offset)) return CSCHEDALLOC_ERANGE;
    const void *current = a->root;
    for (unsigned level = 0; level < a->depth; level++) {
        const node *parent = current;
        unsigned index = digit_at(offset, level_shift(a, level));
        if (!(parent->present & bit(index))) return 0;
        current = parent->child[index];
    }
    const leaf *target = current;
    return (target->words[digit_at(offset, FANOUT_BITS)] >> (offset.low & 63u)) & 1u ? 1 : 0;
}

int cschedalloc_value(const cschedalloc *a, cschedalloc_offset offset, uint64_t *value) {
    if (!a || !value) return CSCHEDALLOC_EINVAL;
    if (!in_range(a, offset)) return CSCHEDALLOC_ERANGE;
    const void *current = a->root;
    for (unsigned level = 0; level < a->depth; level++) {
        const node *parent = current;
        unsigned index = digit_at(offset, level_shift(a, level));
        if (!(parent->present & bit(index))) return CSCHEDALLOC_ENOENT;
        current = parent->child[index];
    }
    const leaf *target = current;
    const uint64_t *block = target->values[digit_at(offset, FANOUT_BITS)];
    uint64_t stored = block ? block[offset.low & 63u] : 0;
    if (stored == 0) return CSCHEDALLOC_ENOENT;
    *value = stored - 1;
    return 0;
}

cschedalloc_offset cschedalloc_used(const cschedalloc *a) {
    cschedalloc_offset none = {0, 0};
    return a ? a->used : none;
}

cschedalloc_offset cschedalloc_valued(const cschedalloc *a) {
    cschedalloc_offset none = {0, 0};
    return a ? a->valued : none;
}

int cschedalloc_is_full(const cschedalloc *a) { return a && root_summary(a) == ALL_ONES; }

size_t cschedalloc_memory_bytes(const cschedalloc *a) { return a ? a->memory : 0; }
