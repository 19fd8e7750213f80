import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import RecurrentLM
import TextData

extension Chapter07 {
    /*: ## How far back can each model look?

     The slides' rule of thumb: a plain RNN uses about 7 steps of context, an LSTM about
     100. Measured here on a task that needs exactly k steps: see one of 4 signal tokens,
     then k distractors, then name the signal (chance: 25%). A plain tanh RNN and an
     LSTM of the same width are trained with the same budget (Adam, clipping, the same
     number of updates, the same seed) for each k, and tested on fresh sequences. The
     LSTM starts with its forget-gate bias at 3 (`--lag-forget-bias`): σ(3) ≈ 0.95 of the
     cell kept per step, so the gradient of the answer reaches the first step at all;
     learning to keep it longer is then up to training. At k = 200 the LSTM fails too
     in this budget (and with a bias of 5, or 400 updates: tried). The plain RNN has no
     such knob.
     <!-- output: Recall the token seen -->
    */
    func lagExperiment(figures: URL) throws -> (accuracy: [String: [String: Double]], largest: [String: Int]) {
        let ks = lags.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        say("\n## Recall the token seen k steps ago (H = \(lagHidden), \(lagUpdates) updates of 32 sequences, tested on 1,000)")
        say("| k | plain RNN (tanh) | LSTM |")
        say("|---:|---:|---:|")
        var accuracy: [String: [String: Double]] = ["rnn": [:], "lstm": [:]]
        var rnnPoints: [(x: Double, y: Double)] = [], lstmPoints: [(x: Double, y: Double)] = []
        // The 2 × |ks| trainings are independent: both cores take them as they come (each
        // one's numbers are the same whichever core runs it, and whatever runs beside it).
        let outcomes = try sideBySide(2 * ks.count) { i in try lagAccuracy(lag: ks[i / 2], lstm: i % 2 == 1) }
        for (index, k) in ks.enumerated() {
            let (a, b) = (outcomes[2 * index], outcomes[2 * index + 1])
            accuracy["rnn"]!["\(k)"] = a
            accuracy["lstm"]!["\(k)"] = b
            rnnPoints.append((Double(k), 100 * a))
            lstmPoints.append((Double(k), 100 * b))
            say(String(format: "| %d | %.1f%% | %.1f%% |", k, 100 * a, 100 * b))
        }
        let learned = { (points: [(x: Double, y: Double)]) in Int(points.filter { $0.y >= 90 }.map(\.x).max() ?? 0) }
        let largest = ["rnn": learned(rnnPoints), "lstm": learned(lstmPoints)]
        say("Largest lag learned (≥ 90% on the test sequences): plain RNN k = \(largest["rnn"]!), LSTM k = \(largest["lstm"]!)"
            + " (0: none of those tried)")
        let plot = LinePlot(title: "Recall after k distractors: accuracy (chance 25%)", xLabel: "lag k (steps)",
                            yLabel: "test accuracy (%)",
                            series: [.init("plain RNN", rnnPoints), .init("LSTM", lstmPoints)])
        say("Figure: " + (try plot.write(to: figures, name: "chapter07-lag-accuracy")).relativePath)
        return (accuracy, largest)
    }

    /// One model's test accuracy on the task at lag `k`: its weights drawn from the seed,
    /// its batches from the seed + k.
    func lagAccuracy(lag k: Int, lstm: Bool) throws -> Double {
        let task = LagTask(lag: k)
        var g = SeededGenerator(seed: options.seed)
        var data = SeededGenerator(seed: options.seed &+ UInt64(k))
        func accuracy<Cell: RecurrentCell>(_ cell: Cell) throws -> Double where Cell.Scalar == Float {
            let model = SequenceClassifier(vocabularySize: task.vocabularySize, embeddingSize: 8, cell: cell,
                                           classes: task.signals, name: lstm ? "lstm" : "rnn", using: &g)
            return try model.trainAndTest(on: task, updates: lagUpdates, learningRate: lagLearningRate, using: &data)
        }
        if lstm {
            return try accuracy(LSTMCell<Float>(inputSize: 8, hiddenSize: lagHidden, name: "lstm", forgetBias: lagForgetBias, using: &g))
        }
        return try accuracy(RNNCell<Float>(inputSize: 8, hiddenSize: lagHidden, name: "rnn", using: &g))
    }

    /*: ## The LSTM language model

     The model of Chapter 5 with LSTM layers: two of them, 200 units each, the setting
     of Zaremba et al.'s small model without dropout (batch 20, 20 steps of
     backpropagation through time, SGD at a rate of 20 on the mean loss, clipping, the
     rate halved after every epoch from the fifth on). On the bundled sample the run is
     smaller, 100 units at a rate of 15: its 26 windows an epoch give SGD few steps, and
     at 20 a model this size sometimes overshoots in the first epoch and never recovers,
     stuck predicting the word frequencies alone (perplexity ≈ 45: we saw it at 100 and
     at 128 units, with either output layer; at 15, in none of the same runs).

     For speed, each layer runs the whole 20-step window as one op (`LSTMWindowKernel` in
     `Sources/NeuralKit/Fast/WindowKernels.swift`, which the model picks with its default
     `recurrence: .wholeWindow`) instead of a dozen ops per step. It does the same
     arithmetic as `LSTMCell.step`, step for step: a test checks every h(t) and every
     gradient bit for bit. Both cores stay busy: the two halves of the batch run their
     steps side by side, and the output layer's weight gradient (the largest product of
     the backward pass) is computed on the second core while the first goes back through
     the LSTM layers.
     <!-- output: LSTM language model: -->
    */
    /// Returns the model's parameter count (the billion-word section prints it again).
    func languageModel(_ splits: LanguageModellingSplits, results: inout Results) throws -> Int {
        let v = splits.train.vocabulary.count
        let model = lstmLanguageModel(vocabularySize: v)
        let settings = languageModelSettings, epochs = languageModelEpochs
        let train = TokenStream(splits.train), valid = TokenStream(splits.valid), test = TokenStream(splits.test)
        say("\n## LSTM language model: \(layers) × \(hidden), \(epochs) epochs on \(splits.source)")
        splits.notes.forEach(say)
        say("  \(model.parameters.parameterCount()) parameters; SGD \(learningRate), clipping at \(clip), batch 20 × BPTT 20, "
            + "halving after epoch \(decayAfter)")
        let history = try model.train(on: train, valid: valid, test: options.dataDir == nil ? nil : test, settings: settings,
                                      epochs: epochs, schedule: .after(epochs: decayAfter, factor: 0.5),
                                      checkpoint: checkpoints.checkpointing(named: "chapter07-lm"),
                                      metadata: languageModelMetadata(splits.train.vocabulary))
        results.trainSeconds = history.trainSeconds
        results.wordsPerSecond = history.wordsPerSecond
        results.epochValidPerplexity = history.epochs.map(\.validPerplexity)
        results.epochTestPerplexity = history.epochs.compactMap(\.testPerplexity)
        results.validPerplexity = model.perplexity(of: valid)
        results.testPerplexity = model.perplexity(of: test)
        say(String(format: "  training %.1f s, %.0f words per second", history.trainSeconds, history.wordsPerSecond))
        say("\n| model (test set) | perplexity |")
        say("|---|---:|")
        say(String(format: "| LSTM LM, %d × %d, this chapter | %.1f |", layers, hidden, results.testPerplexity))
        if compareRNN {
            var g = SeededGenerator(seed: options.seed)
            let cell = RNNCell<Float>(inputSize: hidden, hiddenSize: hidden, name: "rnn", using: &g)
            let rnn = RecurrentLanguageModel(vocabularySize: v, embeddingSize: hidden, layers: [cell], name: "rnn", using: &g)
            var rnnSettings = settings
            rnnSettings.method = .adam
            rnnSettings.learningRate = 0.001
            _ = try rnn.train(on: train, valid: valid, settings: rnnSettings, epochs: epochs, quiet: true,
                              checkpoint: checkpoints.checkpointing(named: "chapter07-rnn", first: false))
            results.rnnValidPerplexity = rnn.perplexity(of: valid)
            results.rnnTestPerplexity = rnn.perplexity(of: test)
            say(String(format: "| RNN LM (Chapter 5's defaults, %d epochs) | %.1f |", epochs, results.rnnTestPerplexity!))
        }
        let kn5Model = try KneserNeyModel(NGramCounts(splits.train, order: 5), order: 5, fallback: .kenLM)  // falls back on a small text
        let kn5 = perplexity(of: kn5Model, on: splits.test.sentences).perplexity
        say(String(format: "| Kneser-Ney 5-gram (Chapter 3)%@ | %.1f |", kn5Model.fallbackNote, kn5))
        if options.dataDir != nil {
            say("| Zaremba et al. 2014, non-regularized LSTM, 2 × 200, PTB test | 114.5 |")
        }
        say(String(format: "Validation perplexity %.1f.", results.validPerplexity))
        return model.parameters.parameterCount()
    }

    /// The chapter's LSTM language model for a vocabulary of `v` words (with an adaptive
    /// softmax when `adaptiveSoftmaxCutoffs` is given), its weights drawn from `--seed`.
    func lstmLanguageModel(vocabularySize v: Int, adaptiveSoftmaxCutoffs: [Int]? = nil) -> RecurrentLanguageModel<LSTMCell<Float>> {
        var generator = SeededGenerator(seed: options.seed)
        var cells: [LSTMCell<Float>] = []
        for l in 0..<layers { cells.append(LSTMCell(inputSize: hidden, hiddenSize: hidden, name: "lstm\(l + 1)", using: &generator)) }
        return RecurrentLanguageModel(vocabularySize: v, embeddingSize: hidden, layers: cells, name: "lm",
                                      adaptiveSoftmaxCutoffs: adaptiveSoftmaxCutoffs, using: &generator)
    }

    /// The language model's epochs: `--epochs`, else 8 on the sample and 2 on the Penn Treebank.
    var languageModelEpochs: Int { epochs ?? (options.dataDir == nil ? 8 : 2) }

    /// The language model's hidden size: `--hidden`, else 200 on the Penn Treebank (Zaremba
    /// et al.'s small model) and 100 on the sample.
    var hidden: Int { hiddenOption ?? (options.dataDir == nil ? 100 : 200) }

    /// SGD's rate: `--learning-rate`, else 20 on the Penn Treebank and 15 on the sample (at
    /// 20, the sample's small models collapsed to predicting word frequencies in 2 of 6
    /// trainings measured, 3 seeds, full and adaptive softmax; at 15 in none).
    var learningRate: Float { learningRateOption ?? (options.dataDir == nil ? 15 : 20) }

    /// SGD with the chapter's rate and clipping.
    var languageModelSettings: RecurrentTrainingSettings {
        var settings = RecurrentTrainingSettings()
        settings.method = .sgd
        settings.learningRate = learningRate
        settings.clip = clip
        return settings
    }

    /// What a reader outside the package needs besides the tensors to evaluate the
    /// language model (Scripts/lstm_perplexity.py): the vocabulary (id → word) and the
    /// shape of the model.
    func languageModelMetadata(_ vocabulary: Vocabulary) -> [String: String] {
        let words = try! JSONSerialization.data(withJSONObject: vocabulary.words)
        return ["vocabulary": String(decoding: words, as: UTF8.self), "model": "lstm", "prefix": "lm", "layers": "\(layers)",
                "sentence_end": SentenceMarks.end, "unknown": Vocabulary.unknown]
    }
}

