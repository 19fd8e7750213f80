import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import TextData

// Reading order: Walkthrough.swift, Perplexity.swift, CommandLine.swift

/*: # Chapter 3 · n-gram language models

 A language model gives the probability of the next word given the words so far,
 P(x⁽ᵗ⁺¹⁾ | x⁽ᵗ⁾, …, x⁽¹⁾), and so a probability for any text: the product of those
 conditionals. Before neural networks the answer was to *count*. An n-gram model makes
 the Markov assumption that only the last n − 1 words matter, and estimates

 $$
 \begin{aligned}
 P(w \mid h) &\approx \frac{\operatorname{count}(h\,w)}{\operatorname{count}(h)} && h = \text{the } n-1 \text{ words before } w
 \end{aligned}
 $$

 This chapter counts n-grams of any order, shows the two ways that ratio breaks
 (sparsity), repairs it three ways (add-δ, backoff, Kneser-Ney), generates text, and
 measures each model by perplexity on the Penn Treebank.
 <!-- output: (opening) -->
*/

/// What Chapter 3 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter03 {
    static let title = "Chapter 3 · n-gram language models"

    func story(_ results: inout Results) throws {
        slidesExample()

        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        let (train, valid, test, source) = (splits.train, splits.valid, splits.test, splits.source)
        say("\n## The corpus: \(source)")
        say("train \(train.sentences.count) sentences, \(train.predictedTokenCount) predicted tokens "
            + "(words + one </s> per sentence); vocabulary \(train.vocabulary.count - 2) words + <s>, </s>; "
            + "test \(test.predictedTokenCount) predicted tokens")
        splits.notes.forEach(say)

        /*: ## Counting, and how long it takes

         Every n-gram of orders 1 … N is counted in one pass, sentence by sentence, as
         `<s> w₁ … w_k </s>`. The interpolated Kneser-Ney model is then computed from those
         counts. (The slides promise a trigram model over 1.7 million words "in a few
         seconds on a laptop".)
         <!-- output: The corpus: -->
        */
        guard order <= NGramCounts.maximumOrder(vocabularySize: train.vocabulary.count) else {
            throw ValidationError("--order \(order): with \(train.vocabulary.count) ids an n-gram of more than "
                                  + "\(NGramCounts.maximumOrder(vocabularySize: train.vocabulary.count)) words does not fit one 128-bit key")
        }
        let estimateStart = clock.now
        let counts = NGramCounts(train, order: order)
        // The bundled sample is small and made up: its counts of counts give some
        // discounts outside their range, so it falls back unless told not to.
        let fallback = discountFallback ?? (options.dataDir == nil) ? DiscountFallback.kenLM : nil
        let kneserNey = try KneserNeyModel(counts, fallback: fallback)
        let estimateSeconds = (clock.now - estimateStart).seconds
        // Every order's model, checked now: discounts that cannot be estimated stop the run
        // here, before the tables.
        var kneserNeyByOrder = [order: kneserNey]
        for n in 2..<order { kneserNeyByOrder[n] = try KneserNeyModel(counts, order: n, fallback: fallback) }
        let fellBack = Set(kneserNeyByOrder.values.flatMap(\.fallbackOrders)).sorted()
        if !fellBack.isEmpty {
            say("Note: this text is too small to estimate the Kneser-Ney discounts of its "
                + fellBack.map { "\($0)-grams" }.joined(separator: " and ")
                + " (Chen and Goodman's estimates fall outside [0, j]); KenLM's fallback discounts 0.5, 1, 1.5 are used there.")
        }
        say(String(format: "\nCounted %@ and estimated the Kneser-Ney %d-gram model in %.2f s.",
                   (1...order).map { "\(counts.distinct(order: $0)) \($0)-grams" }.joined(separator: ", "),
                   order, estimateSeconds))
        results.trainSeconds = estimateSeconds

        sparsity(counts: counts, kneserNey: kneserNeyByOrder[3]!, test: test)
        nextWords(counts: counts, kneserNey: kneserNeyByOrder[3]!, corpus: train)
        generate(kneserNey: kneserNeyByOrder[3]!, corpus: train, seed: options.seed)
        var plots: [LinePlot] = []
        results.testPerplexity = perplexityTable(counts: counts, kneserNey: kneserNeyByOrder, valid: valid, test: test,
                                                 results: &results, plots: &plots)
        let url = try plots[0].write(to: figures, name: "chapter03-perplexity-by-order")
        say("\nFigure: \(url.relativePath)")
    }
}


