import Foundation
import NeuralKit

/// GFLOP/s (2mnk floating-point operations per product) of C = A B in Float, m × k times
/// k × n: the exact kernel (at the widest vectors this CPU has, or the portable C with
/// NEURALKIT_CPU_PATHS=off) and the fast one (OpenBLAS), each on one and on two threads. The shapes: a batch of 20 through a 200 → 800 layer (an LSTM's four
/// gates), a square 256 product, and a batch of 20 through the 200 → 10,000 output layer
/// of a PTB language model. Each product is repeated for about 50 ms per sample; the
/// kernels run in turn, round after round (those on two threads last), and the figure is
/// the median over rounds.
func gemmBenchmark(rounds: Int) {
    let shapes = [(m: 20, k: 200, n: 800), (m: 256, k: 256, n: 256), (m: 20, k: 200, n: 10_000)]
    struct Kernel { let name: String; let choice: Kernels.Choice; let threads: Int }
    let kernels = [
        Kernel(name: "exact (\(Kernels.cpuPaths), 1 thread)", choice: .exact, threads: 1),
        Kernel(name: "fast (\(BLAS.name), 1 thread)", choice: .fast, threads: 1),
        Kernel(name: "exact, 2 threads", choice: .exact, threads: 2),
        Kernel(name: "fast, 2 threads", choice: .fast, threads: 2),
    ]
    print("Float matrix product C (m × n) = A (m × k) · B (k × n), GFLOP/s, median of \(rounds) rounds")
    print("| m × k × n | " + kernels.map(\.name).joined(separator: " | ") + " | exact ÷ fast (1 thread) |")
    print("|---|" + String(repeating: "---:|", count: kernels.count + 1))
    // OpenBLAS's idle threads keep yielding the CPU for a while after a product on two
    // threads, and take a share of the core from whatever runs next: the kernels on two
    // threads run after all the others (round after round among themselves).
    var table = [[Double]](repeating: [Double](repeating: 0, count: kernels.count), count: shapes.count)
    for group in [[0, 1], [2], [3]] {
        for (s, shape) in shapes.enumerated() {
            var g = SeededGenerator(seed: 1)
            let a = (0..<(shape.m * shape.k)).map { _ in Float(g.uniform(-1...1)) }
            let b = (0..<(shape.k * shape.n)).map { _ in Float(g.uniform(-1...1)) }
            var c = [Float](repeating: 0, count: shape.m * shape.n)
            let flops = 2.0 * Double(shape.m * shape.n * shape.k)
            let repeats = max(1, Int(0.05 * 10e9 / flops))  // about 50 ms at 10 GFLOP/s
            var samples = [[Double]](repeating: [], count: kernels.count)
            for round in 0...rounds {
                for i in group {
                    let kernel = kernels[i]
                    Kernels.choice = kernel.choice
                    // The exact kernel splits a large product in two halves when FusedKernels
                    // allows two threads; OpenBLAS uses its own threads.
                    FusedKernels.threads = kernel.choice == .exact ? kernel.threads : 1
                    BLAS.threads = kernel.choice == .fast ? kernel.threads : 1
                    let start = DispatchTime.now().uptimeNanoseconds
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                for _ in 0..<repeats {
                                    Float.gemm(transposeA: false, transposeB: false, m: shape.m, n: shape.n, k: shape.k,
                                               alpha: 1, a: pa.baseAddress!, lda: shape.k, b: pb.baseAddress!, ldb: shape.n,
                                               beta: 0, c: pc.baseAddress!, ldc: shape.n)
                                }
                            }
                        }
                    }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                    if round > 0 { samples[i].append(flops * Double(repeats) / seconds * 1e-9) }  // round 0 warms up
                }
            }
            for i in group { table[s][i] = samples[i].sorted()[samples[i].count / 2] }
        }
    }
    for (shape, medians) in zip(shapes, table) {
        print("| \(shape.m) × \(shape.k) × \(shape.n) | " + medians.map { String(format: "%.1f", $0) }.joined(separator: " | ")
              + String(format: " | %.2f |", medians[0] / medians[1]))
    }
    Kernels.choice = .exact
    FusedKernels.threads = 2
}
