import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

/*: ## A billion words: when the softmax is the model

 The lecture's slide on "building an efficient neural language model over a billion
 words" reports an LSTM language model trained on the One Billion Word benchmark on one
 GPU in a couple of days. The ingredient that made it fit is not in the recurrent part at
 all: it is the output layer.

 Count the multiply-adds one word costs in our language model. Each LSTM layer computes
 four gates from [h⁽ᵗ⁻¹⁾; x⁽ᵗ⁾], 4H(H + H) of them: 320,000 at H = 200, 640,000 for two
 layers. The output layer computes one score per vocabulary word, U h⁽ᵗ⁾ + b₂: |V|·H of
 them, 2,000,000 at |V| = 10,000. On the Penn Treebank three quarters of the forward
 pass is already the softmax, and the backward pass repeats the proportion. The billion-word
 benchmark has |V| = 793,471: the same layer would cost 159 million multiply-adds per word,
 250 times the two LSTM layers, and nearly all of the training time.

 The **adaptive softmax** (Grave, Joulin, Cissé, Grangier and Jégou 2017) spends the work
 where the words are. Words are sorted by training frequency; a *head* holds the c₁ most
 frequent ones plus one entry per *cluster* of rarer words, and cluster k has its own
 small softmax, computed from h projected down to d / 4ᵏ dimensions:

 $$
 p(w \mid h) =
 \begin{cases}
 \mathrm{softmax}(W_{\text{head}} h + b_{\text{head}})_w & w \text{ in the head} \\
 \mathrm{softmax}(W_{\text{head}} h + b_{\text{head}})_{c_1 + k - 1} \cdot
 \mathrm{softmax}(W_k P_k h + b_k)_{w - c_k} & w \text{ in cluster } k
 \end{cases}
 $$

 Both factors are distributions, so p still sums to 1 over the whole vocabulary: unlike
 sampling methods, the model's perplexity is exact and needs no extra normalization. By
 Zipf's law most running words are frequent (with s = 1 and a head of 2,000 words, 58% of
 the tokens of an 800,000-word vocabulary, 84% of a 10,000-word one), so most rows of a batch stop at
 the head; cluster k's softmax runs only on the rows whose target is in it, and a cluster
 that no target of the batch uses is not computed at all.

 What it gives up: a rare word is scored from a 50- or 12-dimensional projection instead of
 the full h, and the split into clusters is fixed by frequency, not learned. The authors
 report perplexities close to the full softmax at a fraction of its time. The table below
 counts the multiply-adds per word, full against adaptive, for our two-layer Penn Treebank
 model (H = 200, or `--hidden`; the sample's vocabulary is far too small to matter) as the vocabulary grows, with Zipfian targets and the head and clusters of
 `adaptiveSoftmaxCutoffs`: 2,000 words, then clusters ten times larger each. The
 `Benchmarks softmax-cost` program measures the same layer's time (the plot below, drawn
 from its run on our two cores), and the last section trains both on the same text.

 ![Output layer time per training step against |V|, full and adaptive softmax, log–log](../Figures/chapter07-softmax-cost.svg)

 <!-- output: The output layer's share -->
*/

/// Multiply-adds per word of the output layer (forward), full and adaptive softmax, for a
/// vocabulary of `v` words with Zipfian (s = 1) word frequencies and hidden size `h`.
struct OutputLayerCost: Encodable {
    let vocabularySize: Int
    let fullMultiplyAdds: Double
    let adaptiveMultiplyAdds: Double
    /// The share of a word's forward multiply-adds that the output layer takes, in a model
    /// whose recurrent part costs `body` per word.
    let fullShare: Double
    let adaptiveShare: Double

    init(vocabularySize v: Int, hidden h: Int, body: Double) {
        let cutoffs = adaptiveSoftmaxCutoffs(vocabularySize: v)
        let bounds = cutoffs + [v]
        // H_n = Σ_{r ≤ n} 1/r: the Zipfian probability of ranks a ..< b is (H_b − H_a) / H_v.
        var harmonic = [0.0]
        harmonic.reserveCapacity(v + 1)
        for r in 1...v { harmonic.append(harmonic[r - 1] + 1 / Double(r)) }
        var adaptive = Double((cutoffs.first ?? v) + cutoffs.count) * Double(h)
        var width = h
        for k in 1..<bounds.count {
            width = max(1, width / 4)
            let share = (harmonic[bounds[k]] - harmonic[bounds[k - 1]]) / harmonic[v]
            adaptive += share * Double(h * width + (bounds[k] - bounds[k - 1]) * width)
        }
        vocabularySize = v
        fullMultiplyAdds = Double(v * h)
        adaptiveMultiplyAdds = adaptive
        fullShare = fullMultiplyAdds / (fullMultiplyAdds + body)
        adaptiveShare = adaptive / (adaptive + body)
    }
}

extension Chapter07 {
    /// The multiply-add table of the billion-word section, for |V| from the Penn Treebank's
    /// to the billion-word benchmark's, at the language model's sizes.
    func outputLayerCosts(layers: Int, hidden: Int) -> [OutputLayerCost] {
        let body = Double(layers * 4 * hidden * 2 * hidden)
        let costs = [10_000, 33_000, 100_000, 300_000, 800_000].map {
            OutputLayerCost(vocabularySize: $0, hidden: hidden, body: body)
        }
        say("\n## The output layer's share of the work, full and adaptive softmax")
        say("\(layers) LSTM layers × H = \(hidden): \(grouped(body)) multiply-adds per word before the output layer; Zipfian targets (s = 1).")
        say("")
        say("| vocabulary | full softmax, multiply-adds per word | share of the model | adaptive softmax | share of the model | full ÷ adaptive |")
        say("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for c in costs {
            say("| \(grouped(Double(c.vocabularySize))) | \(grouped(c.fullMultiplyAdds)) | "
                + String(format: "%.1f%% | ", 100 * c.fullShare) + grouped(c.adaptiveMultiplyAdds)
                + String(format: " | %.1f%% | %.1f× |", 100 * c.adaptiveShare, c.fullMultiplyAdds / c.adaptiveMultiplyAdds))
        }
        return costs
    }

    /// 1234567.8 → "1,234,568": a whole number with its thousands grouped.
    func grouped(_ x: Double) -> String {
        let digits = String(Int(x.rounded()))
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }
}

/// What `--json` writes under `adaptive_softmax`.
struct AdaptiveSoftmaxResults: Encodable {
    struct Run: Encodable {
        var testPerplexity: Double
        var wordsPerSecond: Double
        var parameters: Int
    }
    var cutoffs: [Int]
    var full: Run
    var adaptive: Run?
    var costByVocabulary: [OutputLayerCost]
}

/*: ### The same model with an adaptive softmax

 Now the experiment the slide summarizes, at our scale: the language model of the last
 section trained again, same seed, same epochs, same SGD and clipping, with only its
 output layer replaced by an adaptive softmax. On the Penn Treebank the head is the
 2,000 most frequent words (the authors' setting for this corpus) and one cluster holds
 the other 8,000, scored from a 50-dimensional projection of h. The figure draws the
 layer's computation for three words, one of them in the tail cluster.

 Below our two rows, the slide's table: perplexities on the One Billion Word benchmark
 from Grave et al. (2017), Table 2 as the lecture reproduces it, with the models it
 compares against. Their numbers come from a 0.8-billion-word training set and models
 ten times wider than ours; ours from a million words on two cores. What carries over
 is the ratio: the output layer's cost, and how little perplexity the adaptive softmax
 gives up for it.

 <!-- output: The same LSTM language model with an adaptive softmax -->
*/
extension Chapter07 {
    /// `--adaptive-cutoffs` for a vocabulary of `v` words: the list given (each below |V|),
    /// nil for `none`, else 2,000 when the vocabulary has more than 4,000 words and half
    /// of it otherwise (on the sample's 79 words, a head of 39).
    func chosenAdaptiveCutoffs(vocabularySize v: Int) throws -> [Int]? {
        guard let text = adaptiveCutoffs else { return [v > 4_000 ? 2_000 : max(1, v / 2)] }
        if text == "none" { return nil }
        let cutoffs = try OptionCheck.positiveList(text, "--adaptive-cutoffs", example: "2000")
        guard let last = cutoffs.last, last < v else {
            throw ValidationError("--adaptive-cutoffs must be below the vocabulary's \(v) words (got \"\(text)\")")
        }
        return cutoffs
    }

    /// Trains the language model again with an adaptive softmax and prints it beside the
    /// full softmax's run (`full` and `parameters`, what ``languageModel(_:results:)``
    /// measured and returned), then the slide's table, and draws the layer's graph.
    func adaptiveSoftmaxComparison(_ splits: LanguageModellingSplits, full: Results, parameters: Int) throws -> AdaptiveSoftmaxResults {
        let v = splits.train.vocabulary.count
        let costs = outputLayerCosts(layers: layers, hidden: hiddenOption ?? 200)  // the Penn Treebank model's H
        var results = AdaptiveSoftmaxResults(
            cutoffs: [], full: .init(testPerplexity: full.testPerplexity, wordsPerSecond: full.wordsPerSecond, parameters: parameters),
            adaptive: nil, costByVocabulary: costs)
        try drawAdaptiveSoftmax(to: figures)
        guard let cutoffs = try chosenAdaptiveCutoffs(vocabularySize: v) else { return results }
        results.cutoffs = cutoffs
        let model = lstmLanguageModel(vocabularySize: v, adaptiveSoftmaxCutoffs: cutoffs)
        let epochs = languageModelEpochs
        say("\n## The same LSTM language model with an adaptive softmax (cutoffs \(cutoffs.map(String.init).joined(separator: ", ")))")
        let history = try model.train(on: TokenStream(splits.train), valid: TokenStream(splits.valid), settings: languageModelSettings,
                                      epochs: epochs, schedule: .after(epochs: decayAfter, factor: 0.5), quiet: true,
                                      checkpoint: checkpoints.checkpointing(named: "chapter07-adaptive", first: false))
        let adaptive = AdaptiveSoftmaxResults.Run(
            testPerplexity: model.perplexity(of: TokenStream(splits.test)), wordsPerSecond: history.wordsPerSecond,
            parameters: model.parameters.parameterCount())
        results.adaptive = adaptive
        say("\n| output layer (\(layers) × \(hidden) LSTM, \(epochs) epochs, \(splits.source)) | parameters | test perplexity | training speed |")
        say("| --- | ---: | ---: | ---: |")
        say(String(format: "| full softmax, %d words | %d | %.1f | %.0f words/s |", v, results.full.parameters, results.full.testPerplexity,
                   results.full.wordsPerSecond))
        say(String(format: "| adaptive softmax, head %d + %d cluster%@ | %d | %.1f | %.0f words/s |", cutoffs[0], cutoffs.count,
                   cutoffs.count == 1 ? "" : "s", adaptive.parameters, adaptive.testPerplexity, adaptive.wordsPerSecond))
        if options.dataDir != nil {  // (a ratio of two speeds: not in the book, whose run is the sample's)
            say(String(format: "Adaptive ÷ full training speed: %.2f×", adaptive.wordsPerSecond / results.full.wordsPerSecond))
        }
        say("\n| One Billion Word benchmark: Grave et al. (2017), Table 2, as the lecture shows it | test perplexity |")
        say("| --- | ---: |")
        for (model, perplexity) in Self.billionWordTable { say("| \(model) | \(perplexity) |") }
        return results
    }

    /// The slide's table, in the lecture's order. Every number was checked against the
    /// paper: Grave et al., "Efficient softmax approximation for GPUs" (arXiv:1609.04309),
    /// Table 2, "One Billion Word benchmark. Perplexity on the test set for single models",
    /// whose own two rows are after 5 epochs. The six rows it quotes are also in Jozefowicz
    /// et al. (2016), Table 1, as the authors' code release (TensorFlow models, `lm_1b`)
    /// reprints it; Chelba et al.'s 51.3 and Jozefowicz et al.'s 30.0 are also the numbers
    /// those papers' abstracts state.
    static let billionWordTable: [(String, String)] = [
        ("Interpolated Kneser-Ney 5-gram (Chelba et al. 2013)", "67.6"),
        ("RNN-1024 + MaxEnt 9-gram (Chelba et al. 2013)", "51.3"),
        ("RNN-2048 + BlackOut sampling (Ji et al. 2015)", "68.3"),
        ("Sparse non-negative matrix LM (Shazeer et al. 2015)", "52.9"),
        ("LSTM-2048-512 (Jozefowicz et al. 2016)", "43.7"),
        ("2-layer LSTM-8192-1024, character-CNN inputs (Jozefowicz et al. 2016; 32 GPUs)", "30.0"),
        ("Grave et al., small: LSTM-2048, adaptive softmax (1 GPU)", "43.9"),
        ("Grave et al., large: 2-layer LSTM-2048, adaptive softmax (1 GPU)", "39.8"),
    ]

    /// The adaptive softmax of three words with d = 4, |V| = 10 and one cutoff at 4 (a
    /// head of 4 words + 1 cluster entry; the cluster's 6 words from a 1-dimensional
    /// projection), drawn from its tape: two targets in the head, one in the cluster.
    func drawAdaptiveSoftmax(to figures: URL) throws {
        var generator = SeededGenerator(seed: options.seed)
        let layer = AdaptiveSoftmax<Double>(inputSize: 4, vocabularySize: 10, cutoffs: [4], name: "out", using: &generator)
        let tape = Tape<Double>()
        let h = tape.input(.uniform([3, 4], bound: 1, using: &generator), name: "h (3 words)")
        let loss = layer.loss(h, targets: [1, 7, 0])
        let graph = ComputationGraph(tape: tape, output: loss,
                                     title: "Adaptive softmax, 3 words (targets 1, 7, 0): the head for all, cluster 1 for word 7 only")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter07-adaptive-softmax")
        say("Figure: " + urls.map(\.relativePath).joined(separator: ", "))
    }
}
