#include <graphviz/gvc.h>

/* Swift 6 may not touch a mutable C global directly; this accessor hands out
   the address of the descriptor for directed graphs. */
static inline Agdesc_t *cgraphviz_directed(void) { return &Agdirected; }
