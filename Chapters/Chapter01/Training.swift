import ChapterKit
import Foundation
import NeuralKit

/*: ## Training

 Training minimizes the mean cross-entropy of the correct class over mini-batches of
 windows (for the binary model, the binary cross-entropy of J against "is a location").
 Each step records the forward pass on a fresh tape, sweeps it backward once, and lets
 Adam move every parameter. The order of the windows is reshuffled each epoch with the
 seeded generator, so the same seed gives the same model, bit for bit.
*/

struct TrainingSettings {
    var epochs = 5
    var batchSize = 64
    var learningRate: Float = 1e-3
    var dropout = 0.0
    /// Probability of hiding a word behind `<unk>` while training, so the `<unk>` vector
    /// learns what an unseen word in that position usually is.
    var wordDropout = 0.0
    var unknownWordID = 0
}

/// What the loop carries from epoch to epoch besides the parameters, Adam and the
/// generator: the order of the windows (each epoch shuffles it further) and the losses.
struct WindowTrainingState: Codable {
    var order: [Int]
    var losses: [Double] = []
}

/// Trains `model` on `windows` with class `labels` (0/1 for the binary model); returns
/// the mean training loss of each epoch. `afterEpoch` sees each epoch's number and loss.
/// With `checkpoint`, saves after every epoch and resumes bit for bit
/// (``CheckpointedTraining``); Ctrl-C stops after the current step.
@discardableResult
func train(
    _ model: WindowClassifier<Float>, windows: WindowBatch, labels: [Int], settings: TrainingSettings,
    using generator: inout SeededGenerator, label: String = "training", checkpoint: Checkpointing? = nil,
    afterEpoch: (Int, Double) throws -> Void = { _, _ in }
) throws -> [Double] {
    precondition(windows.count == labels.count, "\(windows.count) windows for \(labels.count) labels")
    let parameters = model.parameters
    var run = try CheckpointedTraining(
        parameters: parameters, optimizer: Adam<Float>(learningRate: settings.learningRate), generator: generator,
        history: WindowTrainingState(order: Array(0..<windows.count)), checkpoint: checkpoint,
        format: "neural-nlp-course window classifier checkpoint, version 1",
        identity: ["batch_size": "\(settings.batchSize)", "dropout": "\(settings.dropout)", "word_dropout": "\(settings.wordDropout)",
                   "labels": fingerprint(labels)])
    defer {
        Interruption.end()
        generator = run.generator  // the caller's generator goes on from where training left it
    }
    let steps = (windows.count + settings.batchSize - 1) / settings.batchSize
    for epoch in try run.epochs(upTo: settings.epochs) ?? 1...0 {
        run.startEpoch()
        run.generator.shuffle(&run.history.order)
        var progress = ProgressBar("\(label) epoch \(epoch)/\(settings.epochs)", total: steps)
        let (first, sums) = try run.resumePoint(sums: [0])
        var total = sums[0]
        for step in first..<steps {
            let indices = run.history.order[(step * settings.batchSize)..<min((step + 1) * settings.batchSize, windows.count)]
            var batch = windows.select(indices)
            if settings.wordDropout > 0 {
                for i in batch.words.indices where run.generator.nextUnit() < settings.wordDropout {
                    batch.words[i] = settings.unknownWordID
                }
            }
            let targets = indices.map { labels[$0] }
            // The tape lives only inside this closure: it holds views of the parameters'
            // values, and letting it go before the optimizer writes them spares a copy
            // of every parameter at every step.
            let value: Double = {
                let tape = Tape<Float>()
                let scores = model.scores(batch, on: tape, dropout: settings.dropout, using: &run.generator)
                let loss = classifierLoss(scores, targets)
                tape.backward(from: loss)
                return Double(loss.value.scalar)
            }()
            guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1) }
            run.optimizer.step(parameters)
            parameters.zeroGradients()
            total += value * Double(indices.count)
            progress.update(step + 1, status: String(format: "loss %.4f", total / Double((step + 1) * settings.batchSize)))
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: steps, sums: [total])
        }
        progress.finish()
        try TrainingError.checkFinite(parameters, epoch: epoch, step: steps)
        let mean = total / Double(windows.count)
        run.history.losses.append(mean)
        try afterEpoch(epoch, mean)
        try run.endEpoch(epoch, steps: steps)
    }
    return run.history.losses
}

/// The loss a window classifier trains on: the binary cross-entropy of σ(s) for one score
/// per window, the softmax cross-entropy over the classes otherwise.
func classifierLoss(_ scores: Variable<Float>, _ targets: [Int]) -> Variable<Float> {
    scores.shape[1] == 1
        ? sigmoidCrossEntropy(logits: scores, labels: targets.map(Float.init))
        : softmaxCrossEntropy(logits: scores, labels: targets)
}

/// The mean loss of `model` on `windows` without training (same loss as `train`).
func meanLoss(_ model: WindowClassifier<Float>, windows: WindowBatch, labels: [Int]) -> Double {
    var total = 0.0
    for start in stride(from: 0, to: windows.count, by: 1024) {
        let range = start..<min(start + 1024, windows.count)
        let tape = Tape<Float>()
        let scores = model.scores(windows.select(range), on: tape)
        let targets = range.map { labels[$0] }
        total += Double(classifierLoss(scores, targets).value.scalar) * Double(range.count)
    }
    return total / Double(windows.count)
}

/// The log-probability of every class for every window: (windows × C), row by row.
func logProbabilities(_ model: WindowClassifier<Float>, windows: WindowBatch) -> [[Double]] {
    var out: [[Double]] = []
    out.reserveCapacity(windows.count)
    for start in stride(from: 0, to: windows.count, by: 1024) {
        let range = start..<min(start + 1024, windows.count)
        let tape = Tape<Float>()
        let y = logSoftmax(model.scores(windows.select(range), on: tape)).value
        for r in 0..<y.rows { out.append(y.row(r).map(Double.init)) }
    }
    return out
}

/// The most probable class of every window, each decided alone.
func predict(_ model: WindowClassifier<Float>, windows: WindowBatch) -> [Int] {
    logProbabilities(model, windows: windows).map { row in row.indices.max { row[$0] < row[$1] }! }
}
