import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import TextData

// Reading order: WindowLanguageModel.swift, Training.swift, Claims.swift, CommandLine.swift

/*: # Chapter 4 · A fixed-window neural language model

 An n-gram model must have *seen* an n-gram to give it weight, and stores every n-gram it
 has seen. A neural model instead reads the last few words as vectors and computes a
 distribution over the whole vocabulary: nothing is ever impossible, and the model's size
 is fixed by the vocabulary and the layer sizes, not by the corpus. This chapter builds
 the window model of the slides (Bengio et al. 2003), trains it on the Penn Treebank, and
 sets it beside the Kneser-Ney models of Chapter 3.
 <!-- output: (opening) -->
*/
/// What Chapter 4 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter04 {
    static let title = "Chapter 4 · A fixed-window neural language model"

    func story(_ results: inout Results) throws {
        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        let (train, valid, test, source) = (splits.train, splits.valid, splits.test, splits.source)
        let v = train.vocabulary.count
        try checkMemory(vocabularySize: v)
        say("Corpus: \(source)")
        say("train \(train.predictedTokenCount) predicted tokens, vocabulary |V| = \(v) ids (with <s> and </s>)")
        splits.notes.forEach(say)

        /*: ## The parameters do not grow with the corpus

         The model's parameters are E (|V| × d), W (H × 4d), b₁, U (|V| × H) and b₂. The
         n-gram model of Chapter 3 instead stores every n-gram it saw, so it grows with the
         text. Counted for a tenth of the training text and for all of it:
         <!-- output: Size: -->
        */
        let formula = WindowLanguageModel<Float>.parameterCount(vocabularySize: v, embeddingSize: embeddingSize, hiddenSize: hiddenSize)
        say("\n## Size: parameters of the window model vs n-grams stored by a 5-gram model")
        say("| training text | predicted tokens | distinct 1–5-grams | window-model parameters |")
        say("|---|---:|---:|---:|")
        for fraction in [10, 100] {
            let part = IndexedCorpus(sentences: Array(train.sentences.prefix(train.sentences.count * fraction / 100))
                .map { $0.map(train.vocabulary.word) }, vocabulary: train.vocabulary)
            let grams = NGramCounts(part, order: 5)
            let stored = (1...5).reduce(0) { $0 + grams.distinct(order: $1) }
            say("| \(fraction)% | \(part.predictedTokenCount) | \(stored) | \(formula) |")
            results.ngramsStored["\(fraction)%"] = stored
        }
        results.parameterCount = formula

        var generator = SeededGenerator(seed: options.seed)
        let model = WindowLanguageModel<Float>(
            vocabularySize: v, embeddingSize: embeddingSize, hiddenSize: hiddenSize, using: &generator)
        say("Counted in the model: \(model.parameters.parameterCount()) = |V|·d + H·4d + H + |V|·H + |V| "
            + "= \(v)·\(embeddingSize) + \(hiddenSize)·\(4 * embeddingSize) + \(hiddenSize) + \(v)·\(hiddenSize) + \(v)")

        let used = IndexedCorpus(sentences: Array(train.sentences.prefix(train.sentences.count * trainPercent / 100))
            .map { $0.map(train.vocabulary.word) }, vocabulary: train.vocabulary)
        let trainWindows = Windows(used), validWindows = Windows(valid), testWindows = Windows(test)
        let epochs = self.epochs ?? (options.dataDir == nil ? 6 : 2)
        say("\n## Training (\(epochs) epochs on \(trainWindows.count) windows, batches of \(batchSize), Adam \(learningRate), dropout \(dropout))")
        let trainStart = clock.now
        let evaluationSeconds = try Chapter04Training.run(model, trainWindows, validWindows, epochs: epochs, batchSize: batchSize,
                                  learningRate: learningRate, dropout: dropout, generator: &generator,
                                  clock: clock, start: trainStart, checkpoint: checkpoints.checkpointing(named: "chapter04-window-lm"))
        // training time alone (the per-epoch validation is not counted)
        let trainSeconds = (clock.now - trainStart).seconds - evaluationSeconds
        results.trainSeconds = trainSeconds
        results.wordsPerSecond = Double(trainWindows.count * epochs) / trainSeconds
        results.validPerplexity = ExactMath.exp(meanCrossEntropy(model, validWindows))
        results.testPerplexity = ExactMath.exp(meanCrossEntropy(model, testWindows))

        /*: ## Beside the n-gram models

         The same test text, the same boundaries (every word and one `</s>` per sentence
         predicted), so the perplexities compare directly.
        */
        let counts = NGramCounts(train, order: 5)
        // For comparison only: a text too small for Chapter 3's discounts gets KenLM's
        // fallback ones, and the row says so.
        let kn3Model = try KneserNeyModel(counts, order: 3, fallback: .kenLM)
        let kn5Model = try KneserNeyModel(counts, order: 5, fallback: .kenLM)
        let kn3 = perplexity(of: kn3Model, on: test.sentences).perplexity
        let kn5 = perplexity(of: kn5Model, on: test.sentences).perplexity
        say("\n| model (test set) | perplexity |")
        say("|---|---:|")
        say(String(format: "| fixed-window neural LM (4 words of context), this chapter | %.1f |", results.testPerplexity))
        say(String(format: "| Kneser-Ney trigram (Chapter 3)%@ | %.1f |", kn3Model.fallbackNote, kn3))
        say(String(format: "| Kneser-Ney 5-gram (Chapter 3)%@ | %.1f |", kn5Model.fallbackNote, kn5))
        say(String(format: "Validation perplexity %.1f. Training: %.1f s, %.0f words per second.",
                   results.validPerplexity, trainSeconds, results.wordsPerSecond))
        results.kneserNeyTestPerplexity = ["3": kn3, "5": kn5]

        noZeroProbabilities(model: model, counts: counts, test: test)
        positionsHaveTheirOwnWeights(model: model, test: test)
        try renderFigure(model: model, windows: testWindows)
    }

    func renderFigure(model: WindowLanguageModel<Float>, windows: Windows) throws {
        let tape = Tape<Float>()
        let loss = softmaxCrossEntropy(logits: model.logits(Array(windows.contexts[0..<4]), on: tape),
                                       labels: [windows.targets[0]])
        let graph = ComputationGraph(tape: tape, output: loss,
                                     title: "Fixed-window neural LM: ŷ = softmax(U tanh(W [e1; e2; e3; e4] + b1) + b2)")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter04-window-lm")
        say("\nFigure: " + urls.map(\.relativePath).joined(separator: ", "))
    }
}

enum Chapter04Training {
    static func run(
        _ model: WindowLanguageModel<Float>, _ trainWindows: Windows, _ validWindows: Windows, epochs: Int,
        batchSize: Int, learningRate: Float, dropout: Double, generator: inout SeededGenerator, clock: ContinuousClock,
        start: ContinuousClock.Instant, checkpoint: Checkpointing? = nil
    ) throws -> Double {
        var evaluationSeconds = 0.0
        try train(model, on: trainWindows,
                  settings: TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: learningRate, dropout: dropout),
                  using: &generator, checkpoint: checkpoint) { epoch, loss in
            let seconds = (clock.now - start).seconds - evaluationSeconds
            let evaluationStart = clock.now
            let validCrossEntropy = meanCrossEntropy(model, validWindows)
            evaluationSeconds += (clock.now - evaluationStart).seconds
            try TrainingError.checkFinite(validation: ExactMath.exp(validCrossEntropy), "validation perplexity", epoch: epoch,
                                          step: (trainWindows.count + batchSize - 1) / batchSize)
            say(String(format: "epoch %d  train loss J = %.3f (exp J = %.1f)  valid perplexity %.1f  %.0f s training  %.0f words/s",
                       epoch, loss, ExactMath.exp(loss), ExactMath.exp(validCrossEntropy), seconds,
                       Double(trainWindows.count * epoch) / seconds))
        }
        return evaluationSeconds
    }
}


