import ChapterKit
import Foundation
import NeuralKit

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
 counts the multiply-adds per word, full against adaptive, for our two-layer model
 (H = 200) as the vocabulary grows, with Zipfian targets and the head and clusters of
 `adaptiveSoftmaxCutoffs`: 2,000 words, then clusters ten times larger each. The
 `Benchmarks softmax-cost` program measures the same layer's time (the plot below, drawn
 from its run on our two cores), and the last section trains both on the same text.

 ![Output layer time per training step against |V|, full and adaptive softmax, log–log](../Figures/chapter07-softmax-cost.svg)
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
        say(String(format: "%d LSTM layers × H = %d: %.0f multiply-adds per word before the output layer; Zipfian targets (s = 1).",
                   layers, hidden, body))
        say("")
        say("| vocabulary | full softmax, multiply-adds per word | share of the model | adaptive softmax | share of the model | full ÷ adaptive |")
        say("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for c in costs {
            say(String(format: "| %d | %.3g | %.1f%% | %.3g | %.1f%% | %.1f× |", c.vocabularySize, c.fullMultiplyAdds, 100 * c.fullShare,
                       c.adaptiveMultiplyAdds, 100 * c.adaptiveShare, c.fullMultiplyAdds / c.adaptiveMultiplyAdds))
        }
        return costs
    }
}
