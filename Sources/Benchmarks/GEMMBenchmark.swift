import Foundation
import NeuralKit

/// GFLOP/s (2mnk floating-point operations per product) of C = A B in Float, m × k times
/// k × n: the exact kernel (one thread, at the widest vectors this CPU has, or the
/// portable C with NEURALKIT_CPU_PATHS=off) and the fast one (OpenBLAS with one and with
/// two threads). The shapes: a batch of 20 through a 200 → 800 layer (an LSTM's four
/// gates), a square 256 product, and a batch of 20 through the 200 → 10,000 output layer
/// of a PTB language model. Each product is repeated for about 50 ms per sample; the
/// kernels run in turn, round after round, and the figure is the median over rounds.
func gemmBenchmark(rounds: Int) {
    let shapes = [(m: 20, k: 200, n: 800), (m: 256, k: 256, n: 256), (m: 20, k: 200, n: 10_000)]
    struct Kernel { let name: String; let choice: Kernels.Choice; let blasThreads: Int }
    let kernels = [
        Kernel(name: "exact (\(Kernels.cpuPaths), 1 thread)", choice: .exact, blasThreads: 1),
        Kernel(name: "fast (\(BLAS.name), 1 thread)", choice: .fast, blasThreads: 1),
        Kernel(name: "fast (\(BLAS.name), 2 threads)", choice: .fast, blasThreads: 2),
    ]
    print("Float matrix product C (m × n) = A (m × k) · B (k × n), GFLOP/s, median of \(rounds) rounds")
    print(String(format: "  %-16@", "m × k × n" as NSString) + kernels.map { String(format: " %28@", $0.name as NSString) }.joined()
          + "   exact ÷ fast(1)")
    for shape in shapes {
        var g = SeededGenerator(seed: 1)
        let a = (0..<(shape.m * shape.k)).map { _ in Float(g.uniform(-1...1)) }
        let b = (0..<(shape.k * shape.n)).map { _ in Float(g.uniform(-1...1)) }
        var c = [Float](repeating: 0, count: shape.m * shape.n)
        let flops = 2.0 * Double(shape.m * shape.n * shape.k)
        let repeats = max(1, Int(0.05 * 10e9 / flops))  // about 50 ms at 10 GFLOP/s
        var samples = [[Double]](repeating: [], count: kernels.count)
        for round in 0...rounds {
            for (i, kernel) in kernels.enumerated() {
                Kernels.choice = kernel.choice
                BLAS.threads = kernel.blasThreads
                let start = DispatchTime.now().uptimeNanoseconds
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            for _ in 0..<repeats {
                                Float.gemm(transposeA: false, transposeB: false, m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                                           a: pa.baseAddress!, lda: shape.k, b: pb.baseAddress!, ldb: shape.n, beta: 0,
                                           c: pc.baseAddress!, ldc: shape.n)
                            }
                        }
                    }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                if round > 0 { samples[i].append(flops * Double(repeats) / seconds * 1e-9) }  // round 0 warms up
            }
        }
        let medians = samples.map { $0.sorted()[$0.count / 2] }
        print(String(format: "  %-16@", "\(shape.m) × \(shape.k) × \(shape.n)" as NSString)
              + medians.map { String(format: " %28.1f", $0) }.joined() + String(format: "   %.2f", medians[0] / medians[1]))
    }
    Kernels.choice = .exact
}
