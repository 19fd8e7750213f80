#include <malloc.h>

/* glibc serves blocks above its mmap threshold with a fresh mmap and unmaps them on
   free, and gives the top of the heap back to the kernel past its trim threshold, so a
   training loop that allocates the same 16 MB buffers every step pays for fresh zeroed
   pages (page faults) every step. Raising both thresholds keeps such blocks in the heap
   for reuse. glibc accepts an mmap threshold of at most 32 MiB on 64-bit systems.
   Returns 1 when both settings were accepted. */
static inline int cmalloc_keep_large_blocks(int mmapThreshold, int trimThreshold) {
    int a = mallopt(M_MMAP_THRESHOLD, mmapThreshold);
    int b = mallopt(M_TRIM_THRESHOLD, trimThreshold);
    return a && b;
}
