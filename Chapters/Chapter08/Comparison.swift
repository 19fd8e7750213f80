import ChapterKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

extension Chapter08 {
    /// Recurrent parameters of one layer: `blocks` weight blocks, each H × d (input),
    /// H × H (recurrent) and H (bias).
    static func cellParameters(blocks: Int, input d: Int, hidden h: Int) -> Int { blocks * (h * d + h * h + h) }

    /*: ## The comparison, measured

     The same language model around each cell (embeddings d = H, one layer, softmax over
     the vocabulary), trained with the same budget (Adam 0.001, clipping at 0.25, batch
     20 × 20 steps, the same seed and epochs); the time per training step is measured in
     that training. Both gated cells run a whole window as one op (the model's default
     `recurrence: .wholeWindow`, which picks `LSTMWindowKernel` or `GRUWindowKernel`: the
     cell's arithmetic step for step, with less bookkeeping), so their
     times compare the cells, not two ways of running them; the plain RNN's three ops per
     step run as they are. Then the memory task of Chapter 7 at a few lags, same budget for all
     three (the LSTM's forget bias and the GRU's update bias set so both start out
     keeping their state).
     <!-- output: Language models on -->
    */
    func compare() throws -> [String: ModelComparison] {
        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        let v = splits.train.vocabulary.count, h = hiddenSize
        try checkMemory(vocabularySize: v)
        let epochs = self.epochs ?? (options.dataDir == nil ? 8 : 1)
        let train = TokenStream(splits.train), valid = TokenStream(splits.valid), test = TokenStream(splits.test)
        var settings = RecurrentTrainingSettings()
        settings.method = .adam
        settings.learningRate = 0.001
        settings.seed = options.seed
        var rows: [String: ModelComparison] = [:]
        let shared = v * h + v * h + v  // E, U, b2
        say("\n## Language models on \(splits.source): \(epochs) epoch(s) each, H = d = \(h)")
        splits.notes.forEach(say)
        func run<Cell: RecurrentCell>(_ name: String, _ cell: Cell, gates: Int, cellState: Bool, blocks: Int,
                                      generator: inout SeededGenerator) throws where Cell.Scalar == Float {
            // Named "lm" as in Chapter 7 (lm.E, lm.U, lm.b2 beside the cell's own): a model
            // named like its cell would have two parameters named lstm.U.
            let model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: h, layers: [cell], name: "lm", using: &generator)
            let history = try model.train(on: train, valid: valid, settings: settings, epochs: epochs, quiet: true,
                                          checkpoint: checkpoints.checkpointing(named: "chapter08-\(name)", first: name == "rnn"))
            let windows = Double(history.words) / Double(settings.batchSize * settings.bptt)
            var row = ModelComparison(gates: gates, cellState: cellState, parameters: model.parameters.parameterCount(),
                                      parametersByFormula: shared + Self.cellParameters(blocks: blocks, input: h, hidden: h))
            row.secondsPerStep = history.trainSeconds / max(windows, 1)
            row.wordsPerSecond = history.wordsPerSecond
            row.validPerplexity = model.perplexity(of: valid)
            row.testPerplexity = model.perplexity(of: test)
            rows[name] = row
            say(String(format: "  %@: valid %.1f, test %.1f, %.1f ms per training step", name, row.validPerplexity, row.testPerplexity,
                       1000 * row.secondsPerStep))
        }
        var g = SeededGenerator(seed: options.seed)
        try run("rnn", RNNCell<Float>(inputSize: h, hiddenSize: h, name: "rnn", using: &g), gates: 0, cellState: false, blocks: 1, generator: &g)
        g = SeededGenerator(seed: options.seed)
        try run("lstm", LSTMCell<Float>(inputSize: h, hiddenSize: h, name: "lstm", using: &g), gates: 3, cellState: true, blocks: 4, generator: &g)
        g = SeededGenerator(seed: options.seed)
        try run("gru", GRUCell<Float>(inputSize: h, hiddenSize: h, name: "gru", using: &g), gates: 2, cellState: false, blocks: 3, generator: &g)

        let ks = lags.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        // Three cells × the lags: independent trainings, each with its own seeded
        // generators. Both cores take them as they come, with the same numbers as in turn.
        let (seed, updates) = (options.seed, lagUpdates)
        let accuracies = try sideBySide(3 * ks.count) { i -> Double in
            let k = ks[i / 3], task = LagTask(lag: k)
            var g = SeededGenerator(seed: seed), data = SeededGenerator(seed: seed &+ UInt64(k))
            func accuracy<Cell: RecurrentCell>(_ cell: Cell) throws -> Double where Cell.Scalar == Float {
                let model = SequenceClassifier(vocabularySize: task.vocabularySize, embeddingSize: 8, cell: cell, classes: task.signals,
                                               name: "m", using: &g)
                return try model.trainAndTest(on: task, updates: updates, using: &data)
            }
            switch i % 3 {
            case 0: return try accuracy(RNNCell<Float>(inputSize: 8, hiddenSize: 32, name: "rnn", using: &g))
            case 1: return try accuracy(LSTMCell<Float>(inputSize: 8, hiddenSize: 32, name: "lstm", forgetBias: 3, using: &g))
            default: return try accuracy(GRUCell<Float>(inputSize: 8, hiddenSize: 32, name: "gru", updateBias: -3, using: &g))
            }
        }
        for (index, k) in ks.enumerated() {
            for (m, name) in ["rnn", "lstm", "gru"].enumerated() { rows[name]!.lagAccuracy["\(k)"] = accuracies[3 * index + m] }
        }

        say("\n| | plain RNN | LSTM | GRU |")
        say("|---|---:|---:|---:|")
        let order = ["rnn", "lstm", "gru"].map { rows[$0]! }
        say("| gates | " + order.map { "\($0.gates)" }.joined(separator: " | ") + " |")
        say("| separate cell state | " + order.map { $0.cellState ? "yes" : "no" }.joined(separator: " | ") + " |")
        say("| weight blocks (H × d, H × H, H each) | 1 | 4 | 3 |")
        say("| recurrent-layer parameters, by formula | " + [1, 4, 3].map { "\(Self.cellParameters(blocks: $0, input: h, hidden: h))" }
            .joined(separator: " | ") + " |")
        say("| whole model, counted (formula) | " + order.map { "\($0.parameters) (\($0.parametersByFormula))" }.joined(separator: " | ") + " |")
        say("| time per training step (20 × 20 words) | " + order.map { String(format: "%.1f ms", 1000 * $0.secondsPerStep) }
            .joined(separator: " | ") + " |")
        say("| validation perplexity | " + order.map { String(format: "%.1f", $0.validPerplexity) }.joined(separator: " | ") + " |")
        say("| test perplexity | " + order.map { String(format: "%.1f", $0.testPerplexity) }.joined(separator: " | ") + " |")
        for k in ks {
            say("| memory task, k = \(k) | " + order.map { String(format: "%.1f%%", 100 * ($0.lagAccuracy["\(k)"] ?? 0)) }
                .joined(separator: " | ") + " |")
        }
        return rows
    }
}
