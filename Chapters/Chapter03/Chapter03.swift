import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import TextData

// Reading order: Walkthrough.swift, Perplexity.swift

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
*/

@main
struct Chapter03: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Chapter03", abstract: "n-gram language models: counting, sparsity, smoothing, perplexity.")

    @OptionGroup var options: ChapterOptions

    @Option(help: "The highest n-gram order.")
    var order = 5

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        var results = Results()
        say("# Chapter 3 · n-gram language models\n")
        options.useKernels()
        slidesExample()

        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        let (train, valid, test, source) = (splits.train, splits.valid, splits.test, splits.source)
        say("\n## The corpus: \(source)")
        say("train \(train.sentences.count) sentences, \(train.predictedTokenCount) predicted tokens "
            + "(words + one </s> per sentence); vocabulary \(train.vocabulary.count - 2) words + <s>, </s>; "
            + "test \(test.predictedTokenCount) predicted tokens")

        /*: ## Counting, and how long it takes

         Every n-gram of orders 1 … N is counted in one pass, sentence by sentence, as
         `<s> w₁ … w_k </s>`. The interpolated Kneser-Ney model is then computed from those
         counts. (The slides promise a trigram model over 1.7 million words "in a few
         seconds on a laptop".)
        */
        let estimateStart = clock.now
        let counts = NGramCounts(train, order: order)
        let kneserNey = KneserNeyModel(counts)
        let estimateSeconds = (clock.now - estimateStart).seconds
        say(String(format: "\nCounted %@ and estimated the Kneser-Ney %d-gram model in %.2f s.",
                   (1...order).map { "\(counts.distinct(order: $0)) \($0)-grams" }.joined(separator: ", "),
                   order, estimateSeconds))
        results.trainSeconds = estimateSeconds

        sparsity(counts: counts, test: test)
        nextWords(counts: counts, kneserNey: kneserNey, corpus: train)
        generate(kneserNey: KneserNeyModel(counts, order: min(3, order)), corpus: train, seed: options.seed)
        var plots: [LinePlot] = []
        results.testPerplexity = perplexityTable(counts: counts, valid: valid, test: test, results: &results, plots: &plots)
        let url = try plots[0].write(to: URL(fileURLWithPath: options.figures, isDirectory: true),
                                     name: "chapter03-perplexity-by-order")
        say("\nFigure: \(url.relativePath)")
        results.seconds = (clock.now - start).seconds
        say(String(format: "\nTotal time: %.1f s", results.seconds))
        if let json = options.json { try writeResults(results, to: json) }
    }
}


