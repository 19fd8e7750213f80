import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Training.swift, Claims.swift, CommandLine.swift

/*: # Chapter 5 · The RNN language model

 The window model of Chapter 4 reads a fixed number of words, and each position of the
 window has its own weights. A recurrent network reads one word at a time and keeps a
 hidden state h⁽ᵗ⁾ that summarises everything read so far, applying *the same* weights
 at every step:

 $$
 \begin{aligned}
 e^{(t)} &= E\, x^{(t)} && \text{the embedding of word } t \\
 h^{(t)} &= \sigma\big(W_h h^{(t-1)} + W_e e^{(t)} + b_1\big) && h^{(0)} = 0 \\
 \hat{y}^{(t)} &= \operatorname{softmax}\big(U h^{(t)} + b_2\big) && \text{the distribution of word } t+1
 \end{aligned}
 $$

 The slides write σ for the nonlinearity; tanh is the usual choice and our default
 (`--activation sigmoid` gives the logistic). Any length of input goes through the same
 parameters, so the model's size does not depend on how much context it reads.

 The step h⁽ᵗ⁻¹⁾ → h⁽ᵗ⁾ is the library's `RNNCell` (the LSTM of Chapter 7 and the GRU of
 Chapter 8 are its siblings there). `projectInputs` computes W_e e⁽ᵗ⁾ + b₁ for every
 step of a window at once, and `step` adds W_h h⁽ᵗ⁻¹⁾ and applies σ:

 <!-- code: Sources/NeuralKit/Layers/Recurrent.swift RNNCell -->
 <!-- output: (opening) -->
*/

/// What Chapter 5 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter05 {
    static let title = "Chapter 5 · The RNN language model"

    func story(_ results: inout Results) throws {
        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        let (train, valid, test) = (splits.train, splits.valid, splits.test)
        let v = train.vocabulary.count
        try checkMemory(vocabularySize: v)
        say("Corpus: \(splits.source)")
        say("train \(train.predictedTokenCount) predicted tokens, valid \(valid.predictedTokenCount), "
            + "test \(test.predictedTokenCount); |V| = \(v) ids (with <s> and </s>)")
        splits.notes.forEach(say)

        var generator = SeededGenerator(seed: options.seed)
        let model = makeModel(vocabularySize: v, using: &generator)

        /*: ## The same weights at every step

         The parameters are E (|V| × d), W_h (H × H), W_e (H × d), b₁ (H), U (|V| × H) and
         b₂ (|V|), whatever the length of the text. Unrolled over 4 words or over 40, the
         tape (the computation graph) grows with the length, but it refers to the same six
         parameters, each used at every step.
         <!-- output: Parameters: -->
        */
        let formula = v * embeddingSize + hiddenSize * hiddenSize + hiddenSize * embeddingSize + hiddenSize
            + v * hiddenSize + v
        say("\n## Parameters: |V|·d + H·H + H·d + H + |V|·H + |V| = \(formula) (counted in the model: \(model.parameters.parameterCount()))")
        results.parameterCount = formula
        let stream = TokenStream(train)
        for length in [4, 40] {
            let shape = unrolledShape(model, ids: Array(stream.ids.prefix(length + 1)))
            say("  unrolled over \(length) words: \(shape.operations) operations on the tape, \(shape.parameters) parameters, "
                + "\(shape.parameterCount) numbers in them")
        }
        try renderGraph(model, vocabulary: train.vocabulary)

        /*: ## Training: teacher forcing and truncated backpropagation through time

         The training text is one long stream of words (a `</s>` after each sentence), cut
         into `batchSize` columns that are read side by side. The model reads `bptt` words
         of each column, predicts each next word from the *true* previous words (teacher
         forcing), and the loss is their mean cross-entropy

         $$
         \begin{aligned}
         J &= -\frac{1}{T} \sum_{t} \log \hat{y}^{(t)}\big[x^{(t+1)}\big]
         \end{aligned}
         $$

         Backpropagation runs back through those `bptt` steps only; the hidden state at the
         end of a window is carried into the next as a plain value (the gradient stops there).
         The gradient's norm is clipped (Pascanu et al. 2013; Chapter 6 shows why) before each
         step of Adam, and the learning rate is divided by `--decay` whenever the validation
         perplexity stops improving; the parameters of the best epoch are kept. Plain SGD is one
         option away (`--optimizer sgd`, rate 20, clipping at 0.25: with a mean loss, that is
         Zaremba et al.'s rate 1 and clipping at 5 on a loss summed over the steps); on this
         tanh RNN it learns more slowly than Adam (Chapter 6 shows it diverging without clipping).
         <!-- output: Training: -->
        */
        var settings = RecurrentTrainingSettings()
        settings.batchSize = batchSize
        settings.bptt = bptt
        settings.method = RecurrentTrainingSettings.Method(rawValue: optimizer)!
        settings.learningRate = learningRate ?? (settings.method == .sgd ? 20 : 0.001)
        settings.clip = clip
        settings.dropout = dropout
        settings.seed = options.seed
        let epochs = self.epochs ?? (options.dataDir == nil ? 12 : 4)
        let used = TokenStream(ids: Array(stream.ids.prefix(max(2, stream.ids.count * trainPercent / 100))),
                               padding: stream.padding)
        let validStream = TokenStream(valid), testStream = TokenStream(test)
        say("\n## Training: \(epochs) epochs over \(used.predictedCount) words, batch \(batchSize) × BPTT \(bptt), "
            + "\(settings.method.rawValue) \(settings.learningRate), clipping at \(clip), dropout \(dropout), \(blasThreads) BLAS thread(s)")
        let history = try model.train(on: used, valid: validStream, test: options.dataDir == nil ? nil : testStream, settings: settings,
                                      epochs: epochs, schedule: .onPlateau(factor: decay),
                                      checkpoint: checkpoints.checkpointing(named: "chapter05-rnn"))
        results.trainSeconds = history.trainSeconds
        results.wordsPerSecond = history.wordsPerSecond
        results.epochs = history.epochs.map { EpochResult(epoch: $0.epoch, trainPerplexity: $0.trainPerplexity,
                                                          validPerplexity: $0.validPerplexity, testPerplexity: $0.testPerplexity,
                                                          learningRate: Double($0.learningRate)) }
        say(String(format: "Training: %.1f s, %.0f words per second (median of epochs: %.0f).",
                   history.trainSeconds, history.wordsPerSecond, history.medianWordsPerSecond))
        let curve = trainingCurve(history)
        let curveURL = try curve.write(to: figures, name: "chapter05-training-curve")
        say("Figure: \(curveURL.relativePath)")

        /*: ## Perplexity is exp(J)

         Perplexity is the inverse probability of the text, normalised by its length:
         ∏ₜ (1 / P(x⁽ᵗ⁺¹⁾ | x⁽ᵗ⁾ … x⁽¹⁾))^(1/N). Taking logs turns the product into the mean
         cross-entropy, so perplexity = exp(J). Both are computed below for the test text:
         J by the training loss, and the product of inverse probabilities directly, one
         word at a time (kept in range by carrying the power of two separately).
        */
        let validNLL = model.negativeLogLikelihood(of: validStream)
        let testNLL = model.negativeLogLikelihood(of: testStream)
        results.validPerplexity = ExactMath.exp(validNLL.total / Double(validNLL.count))
        results.testPerplexity = ExactMath.exp(testNLL.total / Double(testNLL.count))
        let direct = productPerplexity(model, stream: testStream, limit: options.dataDir == nil ? nil : 5_000)
        let j = firstTokensJ(model, stream: testStream, count: direct.count)
        say("\n## Perplexity = exp(J), on the first \(direct.count) test tokens (read from the start, one column)")
        say(String(format: "  J = %.6f;  exp(J) = %.4f", j, exp(j)))
        say(String(format: "  (∏ 1/P)^(1/N), word by word: %.4f", direct.perplexity))
        results.perplexityFromProduct = direct.perplexity

        /*: ## Against the n-grams and the published numbers

         Same test text, same predicted tokens as Chapter 3's Kneser-Ney models.
         <!-- output: Perplexity = exp(J) -->
        */
        let counts = NGramCounts(train, order: 5)
        let kn5Model = try KneserNeyModel(counts, order: 5, fallback: .kenLM)  // for comparison: falls back on a small text
        let kn5 = perplexity(of: kn5Model, on: test.sentences).perplexity
        results.kneserNey5TestPerplexity = kn5
        say("\n| model (test set) | perplexity |")
        say("|---|---:|")
        say(String(format: "| RNN LM (%@, H = %d), this chapter | %.1f |", activation, hiddenSize, results.testPerplexity))
        say(String(format: "| Kneser-Ney 5-gram (Chapter 3)%@ | %.1f |", kn5Model.fallbackNote, kn5))
        if options.dataDir != nil {
            say("| Mikolov et al. 2011: RNN LM, PTB test | 124.7 |")
            say("| Zaremba et al. 2014: 2-layer LSTM, 200 units, no dropout, PTB test (Chapter 7) | 114.5 |")
        }
        say(String(format: "Validation perplexity %.1f.", results.validPerplexity))

        /*: ## Generating text

         Feed a prompt, then repeatedly sample the next word from ŷ and feed it back in.
         A temperature τ reshapes the distribution to p ∝ ŷ^(1/τ): below 1 it favours the
         likely words, above 1 it flattens towards uniform.
         <!-- output: Generated ( -->
        */
        let promptIDs = [train.endID] + prompt.split(separator: " ").map { train.vocabulary.id(String($0)) }
        say("\n## Generated (prompt \"\(prompt)\", temperature \(temperature), seed \(options.seed))")
        var sampler = SeededGenerator(seed: options.seed)
        let sampled = model.generate(after: promptIDs, count: words, temperature: temperature, using: &sampler)
        let text = (promptIDs.dropFirst() + sampled).map { $0 == train.endID ? "\n " : train.vocabulary.word($0) }
        say(" " + text.joined(separator: " ").replacingOccurrences(of: " \n ", with: "\n "))
        results.generated = text.joined(separator: " ")
    }

    func makeModel(vocabularySize: Int, using generator: inout SeededGenerator) -> RecurrentLanguageModel<RNNCell<Float>> {
        let cell = RNNCell<Float>(inputSize: embeddingSize, hiddenSize: hiddenSize,
                                  activation: RecurrentActivation(rawValue: activation)!, name: "rnn", using: &generator)
        return RecurrentLanguageModel(vocabularySize: vocabularySize, embeddingSize: embeddingSize, layers: [cell],
                                      name: "rnn", using: &generator)
    }

    /// The slides' example, unrolled over 4 steps, drawn from the tape that computed it.
    func renderGraph(_ model: RecurrentLanguageModel<RNNCell<Float>>, vocabulary: Vocabulary) throws {
        let words = ["the", "students", "opened", "their", "books"]
        let ids = words.map(vocabulary.id)
        let tape = Tape<Float>()
        let (loss, _) = model.loss(ids.dropLast().map { [$0] }, targets: ids.dropFirst().map { [$0] },
                                   from: model.zeroState(batchSize: 1), on: tape, unrolling: .stepByStep)
        let graph = ComputationGraph(
            tape: tape, output: loss,
            title: "RNN LM unrolled over \"the students opened their\" → \"books\": h(t) = tanh(W_h h(t−1) + W_e e(t) + b1), ŷ(t) = softmax(U h(t) + b2)")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter05-rnn-unrolled")
        say("Figure: " + urls.map(\.relativePath).joined(separator: ", "))
    }
}
