import FigureKit
import Foundation
import NeuralKit

/// `Benchmarks softmax-cost [rounds [figures folder]]`: what the output layer of a
/// language model costs as the vocabulary grows, full softmax against adaptive softmax
/// (Grave et al. 2017), for the lecture's billion-word slide.
///
/// One training step of the output layer alone (forward, loss, backward, the gradients
/// read): N = 400 rows of h (Chapter 7's batch 20 × BPTT 20), d = 200, targets drawn from
/// a Zipf distribution with s = 1 over |V| = 10k, 33k, 100k, 300k and 800k (the One
/// Billion Word benchmark's vocabulary is 793,471 words). The full softmax is
/// `linearSoftmaxCrossEntropy` at |V| classes; the adaptive one has a head of 2,000 words
/// and clusters 10× larger each (``adaptiveSoftmaxCutoffs(vocabularySize:head:clusters:)``),
/// projections d / 4ᵏ. Sizes and methods run in turn, round after round; the figures are
/// medians. Prints the table, the least-squares slope of log time against log |V| for each,
/// and what one epoch of the benchmark's 0.8 billion training words would take on this
/// machine for the output layer alone. With a folder, writes the log–log plot
/// `chapter07-softmax-cost.svg` there.
func softmaxCostBenchmark(rounds: Int, figures: String?) {
    Kernels.choice = .fast
    BLAS.threads = 1
    FusedKernels.threads = 2
    let sizes = [10_000, 33_000, 100_000, 300_000, 800_000]
    let rows = 400, d = 200
    var generator = SeededGenerator(seed: 7)
    let h = Tensor<Float>.uniform([rows, d], bound: 1, using: &generator)
    var seconds = [String: [[Double]]]()  // method → per size, per round
    seconds["full"] = Array(repeating: [], count: sizes.count)
    seconds["adaptive"] = Array(repeating: [], count: sizes.count)
    var headShare = [Double](repeating: 0, count: sizes.count)
    let clock = ContinuousClock()

    for (s, v) in sizes.enumerated() {
        let targets = zipfSample(count: rows, vocabularySize: v, using: &generator)
        let cutoffs = adaptiveSoftmaxCutoffs(vocabularySize: v)
        headShare[s] = Double(targets.filter { $0 < cutoffs[0] }.count) / Double(rows)
        var g = SeededGenerator(seed: UInt64(s + 1))
        let full = Linear<Float>(inputSize: d, outputSize: v, name: "full", using: &g)
        let adaptive = AdaptiveSoftmax<Float>(inputSize: d, vocabularySize: v, cutoffs: cutoffs, name: "adaptive", using: &g)
        for round in 0...rounds {  // round 0 warms up (page faults of the first gradient)
            for method in ["full", "adaptive"] {
                let parameters = method == "full" ? full.parameters : adaptive.parameters
                let start = clock.now
                let tape = Tape<Float>()
                let x = tape.input(h, name: "h")
                let loss = method == "full"
                    ? linearSoftmaxCrossEntropy(x, weight: tape.parameter(full.weight), bias: tape.parameter(full.bias!), labels: targets)
                    : adaptive.fusedLoss(x, targets: targets)
                tape.backward(from: loss)
                for p in parameters { _ = p.gradient.scalars.count }  // wait for background work
                let elapsed = clock.now - start
                parameters.zeroGradients()
                if round > 0 { seconds[method]![s].append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) }
            }
        }
    }

    let full = seconds["full"]!.map(median), adaptive = seconds["adaptive"]!.map(median)
    print("Output layer, one training step: N = \(rows) rows (batch 20 × BPTT 20), d = \(d), Zipf targets (s = 1), fast kernels, 2 threads; medians of \(rounds) rounds")
    print("| vocabulary | head share of targets | full softmax, ms | adaptive softmax, ms | speedup |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for (s, v) in sizes.enumerated() {
        print(String(format: "| %d | %.1f%% | %.1f | %.2f | %.1f× |", v, 100 * headShare[s], 1000 * full[s], 1000 * adaptive[s], full[s] / adaptive[s]))
    }
    let logV = sizes.map { log10(Double($0)) }
    let fullFit = lineFit(logV, full.map(log10)), adaptiveFit = lineFit(logV, adaptive.map(log10))
    print(String(format: "log–log slope (time ∝ |V|^slope): full %.2f, adaptive %.2f", fullFit.slope, adaptiveFit.slope))
    // One epoch of the One Billion Word benchmark's training set (about 0.8 billion words)
    // at |V| = 800k, N words per step, output layer alone.
    let steps = 0.8e9 / Double(rows)
    let hours = { (t: Double) in t * steps / 3600 }
    print(String(format: "One epoch of 0.8 billion words, output layer alone, on this machine: full %.0f hours (%.1f days), adaptive %.1f hours",
                 hours(full.last!), hours(full.last!) / 24, hours(adaptive.last!)))
    if let figures {
        let plot = LinePlot(
            title: "Output layer: time per training step against vocabulary size",
            xLabel: "vocabulary size |V| (Zipfian targets)", yLabel: "milliseconds per step (400 words)",
            series: [.init(String(format: "full (slope %.2f)", fullFit.slope), zip(sizes, full).map { (Double($0), 1000 * $1) }),
                     .init(String(format: "adaptive (slope %.2f)", adaptiveFit.slope), zip(sizes, adaptive).map { (Double($0), 1000 * $1) })],
            logarithmicY: true, logarithmicX: true)
        do {
            let url = try plot.write(to: URL(fileURLWithPath: figures, isDirectory: true), name: "chapter07-softmax-cost")
            print("wrote \(url.path)")
        } catch {
            print("could not write the plot: \(error)")
        }
    }
}

/// `count` word ids from a Zipf distribution over 0..<vocabularySize: p(rank r) ∝ 1 / (r + 1).
func zipfSample(count: Int, vocabularySize v: Int, using generator: inout SeededGenerator) -> [Int] {
    var cumulative = [Double](repeating: 0, count: v)
    var total = 0.0
    for r in 0..<v {
        total += 1 / Double(r + 1)
        cumulative[r] = total
    }
    return (0..<count).map { _ in
        let u = generator.nextUnit() * total
        var (low, high) = (0, v - 1)
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The middle of the rounds' figures (the upper middle for an even count).
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Least-squares line y = slope · x + intercept.
func lineFit(_ x: [Double], _ y: [Double]) -> (slope: Double, intercept: Double) {
    let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
    let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    let slope = sxy / sxx
    return (slope, my - slope * mx)
}
