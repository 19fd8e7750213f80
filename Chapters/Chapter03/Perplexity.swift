import ChapterKit
import FigureKit
import Foundation
import NGram
import TextData

/*: ## 4. Perplexity on held-out text

 A language model is judged by how little it is surprised by text it has not seen:

 $$
 \begin{aligned}
 \text{perplexity} &= \exp\Big( -\frac{1}{N} \sum_{t} \log P(w_t \mid \text{context}) \Big)
 \end{aligned}
 $$

 the exponential of the mean cross-entropy over the N predicted tokens (every word and
 one `</s>` per sentence). Lower is better; a model that gives any test word probability
 0 has infinite perplexity. δ for add-δ is chosen on the validation text.
 <!-- output: Test perplexity -->
*/
func perplexityTable(
    counts: NGramCounts, kneserNey: [Int: KneserNeyModel], valid: IndexedCorpus, test: IndexedCorpus, results: inout Results, plots: inout [LinePlot]
) -> [String: Double] {
    var table: [String: Double] = [:]
    let orders = Array(2...counts.order)
    say("\n## Test perplexity (\(test.predictedTokenCount) predicted tokens)")
    say("| method | " + orders.map { "n = \($0)" }.joined(separator: " | ") + " |")
    say("|---|" + orders.map { _ in "---:|" }.joined())
    func row(_ name: String, _ key: String, _ model: (Int) -> any LanguageModel) {
        var cells: [String] = []
        for n in orders {
            let result = perplexity(of: model(n), on: test.sentences)
            table["\(key)_\(n)"] = result.perplexity
            cells.append(result.perplexity.isFinite ? String(format: "%.1f", result.perplexity)
                         : "∞ (\(result.zeroProbabilityTokens + result.undefinedTokens) tokens at 0)")
        }
        say("| \(name) | " + cells.joined(separator: " | ") + " |")
    }
    row("maximum likelihood", "mle") { MaximumLikelihoodModel(counts, order: $0) }
    var deltas: [Int: Double] = [:]
    for n in orders {
        let candidates: [Double] = [1, 0.1, 0.01, 0.001, 0.0001]
        let validation = candidates.map {
            perplexity(of: AddDeltaModel(counts, order: n, delta: $0), on: valid.sentences).perplexity
        }
        deltas[n] = candidates[validation.indices.min { validation[$0] < validation[$1] }!]
    }
    row("add-δ (δ by validation: " + orders.map { "\(deltas[$0]!)" }.joined(separator: ", ") + ")", "add_delta") {
        AddDeltaModel(counts, order: $0, delta: deltas[$0]!)
    }
    row("backoff (absolute discounting)", "backoff") { BackoffModel(counts, order: $0) }
    row("interpolated Kneser-Ney (modified)", "kneser_ney") { kneserNey[$0]! }
    results.addDeltaByOrder = Dictionary(uniqueKeysWithValues: deltas.map { ("\($0.key)", $0.value) })
    plots.append(LinePlot(
        title: "Test perplexity by n-gram order", xLabel: "order n", yLabel: "perplexity (log scale)",
        series: [("add-δ", "add_delta"), ("backoff", "backoff"), ("Kneser-Ney", "kneser_ney")].map { name, key in
            LinePlot.Series(name, orders.map { (Double($0), table["\(key)_\($0)"]!) })
        },
        logarithmicY: true))
    say(String(format: "\nPublished: Mikolov et al. 2011 (Interspeech), Kneser-Ney 5-gram on PTB test: %.1f", anchorKneserNey5))
    return table
}

let anchorKneserNey5 = 141.2

// book: details What --json FILE writes
/// What `--json FILE` writes.
struct Results: Encodable {
    var testPerplexity: [String: Double] = [:]
    var addDeltaByOrder: [String: Double] = [:]
    var trainSeconds = 0.0
    var seconds = 0.0
    var anchorKneserNey5 = 141.2
}
