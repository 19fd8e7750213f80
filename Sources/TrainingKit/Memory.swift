#if canImport(CMalloc)
import CMalloc
#endif

/// The C library's memory settings for training runs (not model code: how the process
/// gets its memory, not what it computes).
public enum Memory {
    /// Keeps freed blocks of up to 32 MiB (glibc's largest mmap threshold) in the
    /// process's heap for reuse, and lets the heap keep up to `retained` bytes (default
    /// 1 GiB) free at its top instead of returning them to the kernel. A language model's
    /// step allocates (batch × vocabulary) buffers of several megabytes each; without
    /// this, glibc maps them afresh every step and the page faults cost a large part of
    /// the step. Returns false when the C library refused a setting, or is not glibc.
    @discardableResult
    public static func reuseLargeBlocks(retained: Int = 1 << 30) -> Bool {
        #if canImport(CMalloc)
        return cmalloc_keep_large_blocks(32 << 20, Int32(min(retained, Int(Int32.max)))) == 1
        #else
        return false  // glibc's mallopt only; other C libraries keep their own policy
        #endif
    }
}
