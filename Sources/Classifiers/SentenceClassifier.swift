import TrainingKit
import Foundation
import NeuralKit

/// A model that reads a sentence (word ids) and scores each class. Every call gets a
/// batch of sentences of one length (see ``equalLengthBatches(_:batchSize:)``).
public protocol SentenceClassifier {
    var parameters: [Parameter<Float>] { get }
    /// Unnormalized class scores, (batch × classes). `training` turns on the model's
    /// dropout, drawn from `generator`.
    func logits(_ sentences: [[Int]], on tape: Tape<Float>, training: Bool, using generator: inout SeededGenerator) -> Variable<Float>
    /// What a checkpoint must match besides the parameters' names and shapes: settings that
    /// live in the model and change its training (the DAN's word dropout).
    var trainingIdentity: [String: String] { get }
}

extension SentenceClassifier {
    public var trainingIdentity: [String: String] { [:] }
}

/// How a sentence classifier is trained.
public struct ClassifierSettings: Sendable {
    public var epochs = 5
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    /// Gradient-norm clipping threshold (nil: none).
    public var clip: Double? = 5
    public var seed: UInt64 = 1

    public init() {}
}

/// One epoch of training: the mean training loss and the accuracy on dev after it.
public struct ClassifierEpoch: Codable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var devAccuracy: Double
    public var seconds: Double
}

/// Trains with Adam (lazy on the embedding rows a batch touches) on mini-batches of
/// equal-length sentences, measures dev accuracy after every epoch, and leaves the model
/// with the parameters of its best dev epoch (early stopping on dev, never on test).
/// With `checkpoint`, the state is saved after every epoch and `--resume` continues
/// from it, bit for bit (``CheckpointedTraining``); Ctrl-C stops after the current step.
@discardableResult
public func trainClassifier<Model: SentenceClassifier>(
    _ model: Model, on train: EncodedSentences, dev: EncodedSentences, settings: ClassifierSettings,
    label: String, quiet: Bool = false, checkpoint: Checkpointing? = nil
) throws -> [ClassifierEpoch] {
    precondition(train.count > 0, "trainClassifier: no training sentences")
    var run = try CheckpointedTraining(
        parameters: model.parameters, optimizer: Adam<Float>(learningRate: settings.learningRate),
        generator: SeededGenerator(seed: settings.seed), history: [ClassifierEpoch](), checkpoint: checkpoint,
        format: "neural-nlp-course sentence classifier checkpoint, version 1",
        identity: model.trainingIdentity.merging(
            ["batch_size": "\(settings.batchSize)", "clip": "\(settings.clip.map { "\($0)" } ?? "none")",
             "learning_rate": "\(settings.learningRate)", "seed": "\(settings.seed)",
             "train": fingerprint(train.ids.flatMap { $0 + [-1] } + train.labels)]) { $1 })
    defer { Interruption.end() }
    let parameters = model.parameters
    let clock = ContinuousClock()
    for epoch in try run.epochs(upTo: settings.epochs) ?? 1...0 {
        let start = clock.now
        run.startEpoch()
        let batches = equalLengthBatches(train.ids.map(\.count), batchSize: settings.batchSize, shuffledBy: &run.generator)
        var progress = ProgressBar("\(label) epoch \(epoch)/\(settings.epochs)", total: batches.count)
        let (first, sums) = try run.resumePoint(sums: [0, 0])
        var total = sums[0], seen = Int(sums[1])
        for (step, batch) in batches.enumerated().dropFirst(first) {
            let value = try trainingStep(parameters, optimizer: &run.optimizer, clip: settings.clip, epoch: epoch, step: step + 1) { tape in
                let scores = model.logits(batch.map { train.ids[$0] }, on: tape, training: true, using: &run.generator)
                return softmaxCrossEntropy(logits: scores, labels: batch.map { train.labels[$0] })
            }
            total += value * Double(batch.count)
            seen += batch.count
            if !quiet { progress.update(step + 1, status: String(format: "loss %.4f", total / Double(seen))) }
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: batches.count, sums: [total, Double(seen)])
        }
        if !quiet { progress.finish() }
        try TrainingError.checkFinite(parameters, epoch: epoch, step: batches.count)
        let devAccuracy = accuracy(model, on: dev)
        run.history.append(ClassifierEpoch(epoch: epoch, loss: total / Double(seen), devAccuracy: devAccuracy,
                                           seconds: (clock.now - start).seconds))
        run.keepIfBest(devAccuracy)
        try run.endEpoch(epoch, steps: batches.count)
    }
    run.finish()
    return run.history
}

/// One training step, the same for every model trained here: the loss is recorded on a
/// fresh tape and backpropagated (the tape is let go before the optimizer writes the
/// parameters, which spares a copy of each), a loss that is not finite stops training
/// naming the epoch and step, the gradient's norm is clipped (nil: not; one that is not
/// finite stops training too), the optimizer
/// steps and the gradients are zeroed. Returns the loss.
public func trainingStep<O: Optimizer>(
    _ parameters: [Parameter<Float>], optimizer: inout O, clip: Double?, epoch: Int, step: Int,
    loss: (Tape<Float>) -> Variable<Float>
) throws -> Double where O.Scalar == Float {
    let value: Double
    do {
        let tape = Tape<Float>()
        let recorded = loss(tape)
        tape.backward(from: recorded)
        value = Double(recorded.value.scalar)
    }
    guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step) }
    if let clip { try TrainingError.checkFinite(gradientNorm: clipGradientNorm(parameters, threshold: clip), epoch: epoch, step: step) }
    optimizer.step(parameters)
    parameters.zeroGradients()
    return value
}

/// Class probabilities for each sentence, in input order.
public func classProbabilities<Model: SentenceClassifier>(_ model: Model, _ sentences: [[Int]]) -> [[Double]] {
    var out = [[Double]](repeating: [], count: sentences.count)
    var unused = SeededGenerator(seed: 0)
    for batch in equalLengthBatches(sentences.map(\.count), batchSize: 256) {
        let tape = Tape<Float>()
        let p = softmax(model.logits(batch.map { sentences[$0] }, on: tape, training: false, using: &unused)).value
        for (r, index) in batch.enumerated() { out[index] = p.row(r).map(Double.init) }
    }
    return out
}

/// The most probable class of each sentence.
public func predictClasses<Model: SentenceClassifier>(_ model: Model, _ sentences: [[Int]]) -> [Int] {
    classProbabilities(model, sentences).map { p in p.indices.max { p[$0] < p[$1] }! }
}

/// Percentage of sentences whose most probable class is the gold one.
public func accuracy<Model: SentenceClassifier>(_ model: Model, on data: EncodedSentences) -> Double {
    guard data.count > 0 else { return 0 }
    let correct = zip(predictClasses(model, data.ids), data.labels).filter { $0 == $1 }.count
    return 100 * Double(correct) / Double(data.count)
}
