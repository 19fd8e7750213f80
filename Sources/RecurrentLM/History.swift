import ChapterKit
import Foundation
import NeuralKit
import TextData

/// One epoch's figures.
public struct EpochRecord: Sendable {
    public var epoch: Int
    public var trainPerplexity: Double
    public var validPerplexity: Double
    /// Test perplexity after the epoch, when a test stream was given (for reporting
    /// what a shorter run would have reached; never used for any decision).
    public var testPerplexity: Double?
    public var learningRate: Float
    public var wordsPerSecond: Double
}

/// What a training run measured.
public struct TrainingHistory: Sendable {
    public var epochs: [EpochRecord] = []
    /// (epoch as a fraction, perplexity of the training loss over the last stretch).
    public var trainCurve: [(x: Double, y: Double)] = []
    public var trainSeconds = 0.0
    public var words = 0
    public var wordsPerSecond: Double { Double(words) / max(trainSeconds, 1e-9) }
    public var medianWordsPerSecond: Double {
        let sorted = epochs.map(\.wordsPerSecond).sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

/// How the learning rate falls during a run.
public enum LearningRateSchedule: Sendable {
    /// Divide it by `factor` whenever the validation perplexity did not improve (the
    /// rule of PyTorch's word-language-model example).
    case onPlateau(factor: Float)
    /// Keep it for `epochs` epochs, then multiply it by `factor` after every epoch
    /// (Zaremba et al. 2014).
    case after(epochs: Int, factor: Float)
}

extension RecurrentLanguageModel where Scalar == Float {
    /// Trains for `epochs` epochs; after each, measures validation perplexity and applies
    /// `schedule`; at the end puts back the parameters of the best epoch.
    public func train(
        on stream: TokenStream, valid: TokenStream, test: TokenStream? = nil, settings: RecurrentTrainingSettings,
        epochs: Int, schedule: LearningRateSchedule = .onPlateau(factor: 4), quiet: Bool = false
    ) throws -> TrainingHistory {
        let model = self
        var history = TrainingHistory()
        var optimizer = RecurrentOptimizer<Float>(settings.method, learningRate: settings.learningRate)
        var best = Double.infinity
        var bestValues = model.parameters.map(\.value)
        let windowsPerEpoch = max(1, stream.predictedCount / (settings.batchSize * settings.bptt))
        let stretch = max(1, windowsPerEpoch / 10)
        for epoch in 1...max(epochs, 1) where epochs > 0 {
            var recent = 0.0, recentCount = 0
            let learningRate = optimizer.learningRate
            let report = try model.trainEpoch(on: stream, settings: settings, optimizer: &optimizer, epoch: epoch,
                                              label: "epoch \(epoch)/\(epochs)") { window, loss in
                recent += loss
                recentCount += 1
                if window % stretch == 0 {
                    history.trainCurve.append((Double(epoch - 1) + Double(window) / Double(windowsPerEpoch), ExactMath.exp(recent / Double(recentCount))))
                    recent = 0
                    recentCount = 0
                }
            }
            history.trainSeconds += report.seconds
            history.words += report.words
            let validPerplexity = model.perplexity(of: valid)
            history.epochs.append(EpochRecord(epoch: epoch, trainPerplexity: ExactMath.exp(report.meanLoss), validPerplexity: validPerplexity,
                                              testPerplexity: test.map { model.perplexity(of: $0) },
                                              learningRate: learningRate, wordsPerSecond: report.wordsPerSecond))
            if !quiet {
                say(String(format: "epoch %d  lr %g  train J = %.3f (exp J = %.1f)  valid perplexity %.1f  %.1f s  %.0f words/s  "
                           + "clipped %d of %d windows (largest norm %.2f)",
                           epoch, Double(learningRate), report.meanLoss, ExactMath.exp(report.meanLoss), validPerplexity, report.seconds,
                           report.wordsPerSecond, report.clippedWindows, report.windows, report.largestNorm))
            }
            let improved = validPerplexity < best
            if improved {
                best = validPerplexity
                bestValues = model.parameters.map(\.value)
            }
            switch schedule {
            case .onPlateau(let factor): if !improved { optimizer.learningRate /= factor }
            case .after(let keep, let factor): if epoch >= keep { optimizer.learningRate *= factor }
            }
        }
        for (parameter, value) in zip(model.parameters, bestValues) { parameter.value = value }
        return history
    }
}
