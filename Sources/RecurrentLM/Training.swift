import TrainingKit
import Foundation
import NeuralKit
import TextData

/// How a recurrent language model is trained: truncated backpropagation through time
/// over a stream cut into `batchSize` columns, `bptt` steps per window, mean
/// cross-entropy, gradient-norm clipping, and plain SGD (or Adam).
public struct RecurrentTrainingSettings: Sendable {
    public enum Method: String, Sendable, CaseIterable { case sgd, adam }
    public var batchSize = 20
    public var bptt = 20
    public var method = Method.sgd
    public var learningRate: Float = 20
    /// Clip the whole gradient's norm to this (Pascanu et al. 2013); 0 for no clipping.
    public var clip = 0.25
    /// Dropout on the non-recurrent connections while training (0: none).
    public var dropout = 0.0
    /// Seed of the dropout masks (epoch e uses seed + e).
    public var seed: UInt64 = 1
    /// For the first this many windows of each epoch, ``EpochReport/norms`` records ‖ĝ‖
    /// before clipping and ‖ĝ‖ after it, measured again from the clipped gradients (a pass
    /// over every parameter's whole gradient, so it is off by default and in timed runs).
    public var measuredWindows = 0

    public init() {}
}

/// What one epoch of training measured.
public struct EpochReport: Sendable {
    public var meanLoss = 0.0
    public var words = 0
    public var seconds = 0.0
    public var windows = 0
    public var clippedWindows = 0
    public var largestNorm = 0.0
    /// The gradient norm of each of the first ``RecurrentTrainingSettings/measuredWindows``
    /// windows before clipping, and after it as measured from the clipped gradients
    /// (``gradientNorm(_:)``), not as the clipping rule says it should be.
    public var norms: [(before: Double, after: Double)] = []
    public var wordsPerSecond: Double { Double(words) / max(seconds, 1e-9) }
}

/// Where an epoch stood after a step: everything ``RecurrentLanguageModel/trainEpoch``
/// needs to go on from the next step exactly as if it had not stopped (the hidden state
/// carried into the next window, the dropout masks' generator, the sums so far). The
/// per-window norms of ``EpochReport/norms`` are not kept.
public struct EpochProgress: Sendable {
    public var windowsDone: Int
    public var state: [[Tensor<Float>]]
    public var masks: SeededGenerator
    public var totalLoss: Double
    public var report: EpochReport
}

/// Thrown by `trainEpoch` after the step in which Ctrl-C arrived, with where it stood.
public struct EpochInterrupted: Error {
    public var epoch: Int
    public var progress: EpochProgress
}

/// The optimizer a recurrent language model trains with.
public enum RecurrentOptimizer<Scalar: TensorScalar> {
    case sgd(SGD<Scalar>)
    case adam(Adam<Scalar>)

    public init(_ method: RecurrentTrainingSettings.Method, learningRate: Scalar) {
        switch method {
        case .sgd: self = .sgd(SGD(learningRate: learningRate))
        case .adam: self = .adam(Adam(learningRate: learningRate))
        }
    }

    public var learningRate: Scalar {
        get {
            switch self {
            case .sgd(let o): return o.learningRate
            case .adam(let o): return o.learningRate
            }
        }
        set {
            switch self {
            case .sgd(var o): o.learningRate = newValue; self = .sgd(o)
            case .adam(var o): o.learningRate = newValue; self = .adam(o)
            }
        }
    }

    public mutating func step(_ parameters: [Parameter<Scalar>]) {
        switch self {
        case .sgd(var o): o.step(parameters); self = .sgd(o)
        case .adam(var o): o.step(parameters); self = .adam(o)
        }
    }
}

extension RecurrentLanguageModel where Scalar == Float {
    /// One pass over `stream` with truncated BPTT: the hidden state runs on from window
    /// to window (its value only: gradients stop at the window's edge). Each window:
    /// forward, J, backward, clip, step. Throws on a non-finite loss or gradient norm,
    /// naming the step, and ``EpochInterrupted`` after the step in which Ctrl-C arrived
    /// (``Interruption``); `resuming` goes on from where such an interrupt left the epoch.
    public func trainEpoch(
        on stream: TokenStream, settings: RecurrentTrainingSettings, optimizer: inout RecurrentOptimizer<Float>,
        epoch: Int, label: String? = nil, resuming: EpochProgress? = nil, afterWindow: (Int, Double) -> Void = { _, _ in }
    ) throws -> EpochReport {
        let windows = stream.windows(batchSize: settings.batchSize, length: settings.bptt, complete: false)
        let parameters = self.parameters
        var state = resuming?.state ?? zeroState(batchSize: settings.batchSize)
        var report = resuming?.report ?? EpochReport()
        var progress = ProgressBar(label ?? "epoch \(epoch)", total: windows.count)
        let clock = ContinuousClock(), start = clock.now - .seconds(report.seconds)
        var totalLoss = resuming?.totalLoss ?? 0
        var masks = resuming?.masks ?? SeededGenerator(seed: settings.seed &+ UInt64(epoch))
        for (index, window) in windows.enumerated().dropFirst(resuming?.windowsDone ?? 0) {
            let value: Double = {  // the tape ends here, before the optimizer writes
                let tape = Tape<Float>()
                let (loss, final) = self.loss(window.inputs, targets: window.targets, from: state, on: tape,
                                              dropout: settings.dropout, using: &masks)
                tape.backward(from: loss)
                state = final.map { $0.map(\.value) }
                return Double(loss.value.scalar)
            }()
            guard value.isFinite else {
                throw TrainingError.nonFiniteLoss(epoch: epoch, step: index + 1)
            }
            // ‖ĝ‖ is measured either way; with clip = 0 nothing is rescaled.
            let threshold = settings.clip > 0 ? settings.clip : .infinity
            let norm = clipGradientNorm(parameters, threshold: threshold)
            try TrainingError.checkFinite(gradientNorm: norm, epoch: epoch, step: index + 1)
            report.largestNorm = max(report.largestNorm, norm)
            if norm >= threshold { report.clippedWindows += 1 }
            if index < settings.measuredWindows { report.norms.append((norm, gradientNorm(parameters))) }
            optimizer.step(parameters)
            parameters.zeroGradients()
            let words = window.predictedCount
            totalLoss += value * Double(words)
            report.words += words
            report.windows += 1
            afterWindow(index + 1, value)
            let seconds = (clock.now - start).seconds
            progress.update(index + 1, status: String(
                format: "loss %.3f  ppl %.1f  %.0f words/s", totalLoss / Double(report.words),
                ExactMath.exp(totalLoss / Double(report.words)), Double(report.words) / max(seconds, 1e-9)))
            // Ctrl-C (see `Interruption`): stop between steps; the caller saves where it stood.
            if Interruption.requested && index + 1 < windows.count {
                progress.finish()
                report.seconds = (clock.now - start).seconds
                throw EpochInterrupted(epoch: epoch, progress: EpochProgress(
                    windowsDone: index + 1, state: state, masks: masks, totalLoss: totalLoss, report: report))
            }
        }
        progress.finish()
        report.seconds = (clock.now - start).seconds
        report.meanLoss = totalLoss / Double(max(report.words, 1))
        return report
    }
}

extension RecurrentLanguageModel {
    /// The summed negative log-likelihood (natural log) of every predicted token of
    /// `stream`, and how many there are: the stream in `batchSize` columns, every token
    /// predicted exactly once, the state carried through each column.
    public func negativeLogLikelihood(
        of stream: TokenStream, batchSize: Int = 10, bptt: Int = 50
    ) -> (total: Double, count: Int) {
        var state = zeroState(batchSize: batchSize)
        var total = 0.0, count = 0
        for window in stream.windows(batchSize: batchSize, length: bptt, complete: true) {
            let tape = Tape<Scalar>()
            let (loss, final) = self.loss(window.inputs, targets: window.targets, from: state, on: tape)
            state = final.map { $0.map(\.value) }
            let n = window.predictedCount
            total += Double(loss.value.scalar) * Double(n)
            count += n
        }
        return (total, count)
    }

    /// Perplexity of the stream: exp(mean cross-entropy).
    public func perplexity(of stream: TokenStream, batchSize: Int = 10) -> Double {
        let (total, count) = negativeLogLikelihood(of: stream, batchSize: batchSize)
        return ExactMath.exp(total / Double(max(count, 1)))
    }

    /// Reads `prompt` (at least one id), then samples `count` more words one at a time
    /// from ŷ, each fed back as the next input: p ∝ ŷ^(1/temperature). Stops early after
    /// an id in `stopAt`. Returns the sampled ids.
    public func generate(
        after prompt: [Int], count: Int, temperature: Double = 1, stopAt: Set<Int> = [],
        using generator: inout SeededGenerator
    ) -> [Int] {
        precondition(!prompt.isEmpty, "generate: the prompt needs at least one word")
        precondition(temperature > 0, "generate: temperature must be positive")
        var state = zeroState(batchSize: 1)
        var input = prompt
        var sampled: [Int] = []
        while sampled.count < count {
            let tape = Tape<Scalar>()
            let (outputs, final) = hiddenStates(input.map { [$0] }, from: state, on: tape)
            state = final.map { $0.map(\.value) }
            let last = outputs.value.row(outputs.value.rows - 1)
            let p = distribution(after: Tensor(shape: [1, last.count], scalars: last)).scalars
            // p^(1/T) as exp(ln p / T) with NeuralKit's own exp and log: the same draws on
            // every machine (the C library's pow may differ in the last bit).
            let weights = p.map { ExactMath.exp(ExactMath.log(Double($0)) / temperature) }
            let next = generator.categorical(weights)
            sampled.append(next)
            if stopAt.contains(next) { break }
            input = [next]
        }
        return sampled
    }
}
