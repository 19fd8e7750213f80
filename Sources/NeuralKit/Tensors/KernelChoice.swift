import CKernels

/// Which kernels run the matrix products and the softmax rows: the one place that
/// chooses. Everything else NeuralKit computes (tanh, σ, exp, log, sums, norms, clipping,
/// the optimizers) is written once, in a fixed order of operations, and gives the same
/// bits on every machine whatever this says.
///
/// - ``Choice/exact``: NeuralKit's own products and softmax. Every output element is one
///   fixed sequence of IEEE multiplies and adds (no fused multiply-add), vectorized across
///   output elements, never along a sum; the same bits on any CPU (x86-64 with or
///   without AVX-512, arm64), with any thread count, at every vector width. The default,
///   and what the chapters use on their bundled samples, the book and the tests.
/// - ``Choice/fast``: OpenBLAS's `sgemm`/`dgemm` (Accelerate on Apple platforms) and the
///   AVX-512 or AVX2 + FMA softmax. Faster on large products; the last bits
///   depend on the CPU and the BLAS build, and training turns last bits into different
///   (equally good) trajectories. What the chapters use with `--data-dir`.
///
/// `NEURALKIT_CPU_PATHS=off` in the environment makes every C kernel take its portable
/// path (the narrowest vectors), `=avx2` caps them at AVX2; that is how CI checks that
/// exact results do not depend on the CPU.
public enum Kernels {
    public enum Choice: String, CaseIterable, Sendable {
        case exact, fast
    }

    /// The kernels in use (process-wide; set it before training, not during).
    nonisolated(unsafe) public static var choice: Choice = .exact

    /// The widest vector instructions the C kernels use in this process.
    public static var cpuPaths: String {
        switch ck_cpu_level() {
        case CK_LEVEL_AVX512: return "AVX-512"
        case CK_LEVEL_AVX2: return "AVX2"
        default: return "portable C"
        }
    }

    /// One line for a chapter to print: which kernels, and what that means for its output.
    /// The exact line is the same on every machine (it goes into the book).
    public static var summary: String {
        switch choice {
        case .exact:
            return "Kernels: exact (the same output on every machine, bit for bit)"
        case .fast:
            return "Kernels: fast (\(BLAS.name), \(cpuPaths) softmax; the last digits can differ between machines)"
        }
    }
}
