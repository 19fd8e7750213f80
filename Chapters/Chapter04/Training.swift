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
 <!-- output: Training ( -->
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
/// stopped (``CheckpointedTraining``). Ctrl-C stops after the current step.
func train(
    _ model: WindowLanguageModel<Float>, on windows: Windows, settings: TrainingSettings,
    using generator: inout SeededGenerator, checkpoint: Checkpointing? = nil,
    afterEpoch: (Int, Double) throws -> Void = { _, _ in }
) throws {
    let w = WindowLanguageModel<Float>.window
    let parameters = model.parameters
    // The history the run carries: the order of the windows.
    var run = try CheckpointedTraining(
        parameters: parameters, optimizer: Adam<Float>(learningRate: settings.learningRate), generator: generator,
        history: Array(0..<windows.count), checkpoint: checkpoint, format: "neural-nlp-course window language model checkpoint, version 1",
        identity: ["batch_size": "\(settings.batchSize)", "dropout": "\(settings.dropout)",
                   "train_windows": fingerprint(windows.contexts + windows.targets)])
    defer {
        Interruption.end()
        generator = run.generator  // the caller's generator goes on from where training left it
    }
    let steps = (windows.count + settings.batchSize - 1) / settings.batchSize
    for epoch in try run.epochs(upTo: settings.epochs) ?? 1...0 {
        run.startEpoch()
        run.generator.shuffle(&run.history)
        var progress = ProgressBar("epoch \(epoch)/\(settings.epochs)", total: steps)
        let (first, sums) = try run.resumePoint(sums: [0])
        var total = sums[0]
        for step in first..<steps {
            let batch = run.history[(step * settings.batchSize)..<min((step + 1) * settings.batchSize, windows.count)]
            var contexts: [Int] = []
            contexts.reserveCapacity(batch.count * w)
            for i in batch { contexts += windows.contexts[(i * w)..<((i + 1) * w)] }
            let targets = batch.map { windows.targets[$0] }
            let value: Double = {  // the tape ends here, before the optimizer writes
                let tape = Tape<Float>()
                let loss = model.loss(contexts, targets: targets, on: tape, dropout: settings.dropout, using: &run.generator)
                tape.backward(from: loss)
                return Double(loss.value.scalar)
            }()
            guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1) }
            run.optimizer.step(parameters)
            parameters.zeroGradients()
            total += value * Double(batch.count)
            progress.update(step + 1, status: String(format: "loss %.3f  ppl %.0f", total / Double((step + 1) * settings.batchSize),
                                                    ExactMath.exp(total / Double((step + 1) * settings.batchSize))))
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: steps, sums: [total])
        }
        progress.finish()
        try TrainingError.checkFinite(parameters, epoch: epoch, step: steps)
        try afterEpoch(epoch, total / Double(windows.count))
        try run.endEpoch(epoch, steps: steps)
    }
}
