#include <graphviz/gvc.h>

/* Swift 6 may not touch a mutable C global directly; this accessor hands out
   the address of the descriptor for directed graphs. */
static inline Agdesc_t *cgraphviz_directed(void) { return &Agdirected; }

/* cgraph keeps a graph's subgraphs (the columns of an unrolled network) in the order of
   the addresses of their interned names, and dot lays the clusters out, and writes them,
   in that order. With malloc those addresses change from run to run. This discipline
   hands out memory from one region, in increasing addresses and never reused, so the
   order is the order of creation and a figure comes out the same, byte for byte, on
   every run. The region is reserved, not used: only the pages a graph touches count. */
#include <string.h>
#include <sys/mman.h>

typedef struct { char *base, *next, *end; } cgraphviz_arena;

static inline void *cgraphviz_arena_open(Agdisc_t *disc) {
    (void)disc;
    size_t size = (size_t)1 << 28;
    int flags = MAP_PRIVATE | MAP_ANON;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) return NULL;
    cgraphviz_arena *arena = (cgraphviz_arena *)p;
    arena->base = p;
    arena->next = p + 64;
    arena->end = p + size;
    return arena;
}

/* Zeroed memory, as cgraph expects: fresh pages are zero and nothing is handed out twice. */
static inline void *cgraphviz_arena_alloc(void *state, size_t request) {
    cgraphviz_arena *arena = state;
    size_t n = (request + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if ((size_t)(arena->end - arena->next) < n) return NULL;
    void *p = arena->next;
    arena->next += n;
    return p;
}

static inline void *cgraphviz_arena_resize(void *state, void *ptr, size_t old, size_t request) {
    void *p = cgraphviz_arena_alloc(state, request);
    if (p && ptr) memcpy(p, ptr, old < request ? old : request);
    return p;
}

static inline void cgraphviz_arena_free(void *state, void *ptr) { (void)state; (void)ptr; }

static inline void cgraphviz_arena_close(void *state) {
    cgraphviz_arena *arena = state;
    munmap(arena->base, (size_t)(arena->end - arena->base));
}

/* The discipline for agopen: the arena for memory, cgraph's own for ids and input/output. */
static inline Agdisc_t *cgraphviz_ordered(void) {
    static Agmemdisc_t memory = {cgraphviz_arena_open, cgraphviz_arena_alloc, cgraphviz_arena_resize,
                                 cgraphviz_arena_free, cgraphviz_arena_close};
    static Agdisc_t discipline = {&memory, &AgIdDisc, &AgIoDisc};
    return &discipline;
}
