import ChapterKit
import Foundation
import NeuralKit

/*: ## Training and perplexity

 The loss is the mean cross-entropy of the true next word, J = −(1/B) Σ log ŷ[target];
 its exponential over a whole text is the perplexity, so a chapter can print both and
 they must agree. Training is plain mini-batch Adam on shuffled windows. Its loss runs
 U h + b₂, the softmax and J as one fused op (`linearSoftmaxCrossEntropy` in NeuralKit,
 the same J up to rounding: a test checks it), since at |V| = 10,000 the output layer is
 nearly all of a step's work; the readable form above is what evaluation and the figure use.
*/
struct TrainingSettings {
    var epochs = 1
    var batchSize = 256
    var learningRate: Float = 1e-3
    var dropout = 0.0
}

/// Mean cross-entropy (natural log) of `model` over `windows`, in batches.
func meanCrossEntropy(_ model: WindowLanguageModel<Float>, _ windows: Windows, batchSize: Int = 1024) -> Double {
    let w = WindowLanguageModel<Float>.window
    var total = 0.0
    for start in stride(from: 0, to: windows.count, by: batchSize) {
        let end = min(start + batchSize, windows.count)
        let loss = softmaxCrossEntropy(
            logits: model.logits(Array(windows.contexts[(start * w)..<(end * w)]), on: Tape()),
            labels: Array(windows.targets[start..<end]))
        total += Double(loss.value.scalar) * Double(end - start)
    }
    return total / Double(windows.count)
}

/// Trains with Adam; calls `afterEpoch(epoch, mean training loss)`. With `checkpoint`,
/// saves the whole state after every epoch (the parameters, Adam's moments, the random
/// generator and the shuffled order, which each epoch shuffles further), and with
/// `checkpoint.resume` continues after the last saved epoch, bit for bit as if never
/// stopped. Ctrl-C stops after the current step (``Interruption``).
func train(
    _ model: WindowLanguageModel<Float>, on windows: Windows, settings: TrainingSettings,
    using generator: inout SeededGenerator, checkpoint: Checkpointing? = nil,
    afterEpoch: (Int, Double) throws -> Void = { _, _ in }
) throws {
    let w = WindowLanguageModel<Float>.window
    var optimizer = Adam<Float>(learningRate: settings.learningRate)
    let parameters = model.parameters
    var order = Array(0..<windows.count)
    let steps = (windows.count + settings.batchSize - 1) / settings.batchSize
    let format = "neural-nlp-course window language model checkpoint, version 1"
    let identity = [
        "parameters": parameters.map { "\($0.name) \($0.shape)" }.joined(separator: ", "),
        "batch_size": "\(settings.batchSize)", "learning_rate": "\(settings.learningRate)", "dropout": "\(settings.dropout)",
        "kernels": "\(Kernels.choice)", "train_windows": fingerprint(windows.contexts + windows.targets),
    ]
    func save(epoch: Int) throws {
        guard let checkpoint else { return }
        var file = TrainingCheckpoint(format: format, epochsDone: epoch, identity: identity)
        file.set(parameters)
        file.set(optimizer, for: parameters)
        file.set("training", generator)
        file.file.set("order", integers: order.map(Int64.init))
        try file.save(to: checkpoint)
    }
    var completed = 0
    if let checkpoint, checkpoint.resume {
        let file = try TrainingCheckpoint.load(checkpoint, format: format, identity: identity)
        let values = try file.values(for: parameters)
        try file.restore(&optimizer, for: parameters)
        generator = try file.generator("training")
        order = try file.integers("order").map(Int.init)
        completed = file.epochsDone
        for (p, value) in zip(parameters, values) { p.value = value }
        say("Resumed from \(checkpoint.url.path) after epoch \(completed).")
    } else {
        try save(epoch: 0)  // an interrupt in the first epoch can resume from the start
    }
    Interruption.begin()
    defer { Interruption.end() }
    for epoch in (completed + 1)..<(max(settings.epochs, completed) + 1) {
        generator.shuffle(&order)
        var progress = ProgressBar("epoch \(epoch)/\(settings.epochs)", total: steps)
        var total = 0.0
        for step in 0..<steps {
            let batch = order[(step * settings.batchSize)..<min((step + 1) * settings.batchSize, order.count)]
            var contexts: [Int] = []
            contexts.reserveCapacity(batch.count * w)
            for i in batch { contexts += windows.contexts[(i * w)..<((i + 1) * w)] }
            let targets = batch.map { windows.targets[$0] }
            let value: Double = {  // the tape ends here, before the optimizer writes
                let tape = Tape<Float>()
                let loss = model.loss(contexts, targets: targets, on: tape, dropout: settings.dropout, using: &generator)
                tape.backward(from: loss)
                return Double(loss.value.scalar)
            }()
            guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1) }
            optimizer.step(parameters)
            parameters.zeroGradients()
            total += value * Double(batch.count)
            progress.update(step + 1, status: String(format: "loss %.3f  ppl %.0f", total / Double((step + 1) * settings.batchSize),
                                                    ExactMath.exp(total / Double((step + 1) * settings.batchSize))))
            if Interruption.requested && step + 1 < steps {
                progress.finish()
                throw TrainingError.interrupted(epoch: epoch, step: step + 1, checkpoint: checkpoint, savedEpoch: epoch - 1)
            }
        }
        progress.finish()
        try TrainingError.checkFinite(parameters, epoch: epoch, step: steps)
        try afterEpoch(epoch, total / Double(windows.count))
        try save(epoch: epoch)
        if Interruption.requested {
            throw TrainingError.interrupted(epoch: epoch, step: steps, checkpoint: checkpoint, savedEpoch: epoch)
        }
    }
}
