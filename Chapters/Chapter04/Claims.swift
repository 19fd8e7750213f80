import ChapterKit
import Foundation
import NGram
import NeuralKit
import TextData

/*: ## No zero probabilities

 The softmax gives every word of the vocabulary a positive probability after any window,
 so a 5-gram never seen in training still gets one; maximum likelihood gives it 0.
 <!-- output: No zero probabilities -->
*/
func noZeroProbabilities(model: WindowLanguageModel<Float>, counts: NGramCounts, test: IndexedCorpus) {
    let v = test.vocabulary
    let mle = MaximumLikelihoodModel(counts, order: 5)
    for sentence in test.sentences where sentence.count >= 4 {
        let line = sentence + [test.endID]
        for t in 4..<line.count {
            let context = Array(line[(t - 4)..<t])
            guard mle.contextCount(context[...]) > 0, counts.count(context + [line[t]]) == 0 else { continue }
            let distribution = model.distribution(context).scalars
            let p = distribution[line[t]]
            say("\n## No zero probabilities")
            say("\"\(context.map(v.word).joined(separator: " ")) \(v.word(line[t]))\" never occurs in training "
                + "(its context does, \(mle.contextCount(context[...])) times):")
            say("  maximum-likelihood 5-gram: P = 0;  window model: P = \(formatScientific(Double(p)))")
            say("  the smallest probability the window model gives any word here: "
                + formatScientific(Double(distribution.min()!)) + " (> 0)")
            return
        }
    }
}

/*: ## The remaining problem: each position has its own weights

 W multiplies the concatenation [e⁽¹⁾; e⁽²⁾; e⁽³⁾; e⁽⁴⁾], so it is four blocks side by
 side, W = [W⁽¹⁾ W⁽²⁾ W⁽³⁾ W⁽⁴⁾], each H × d, one per position. A word is processed by a
 different block depending on where it sits, nothing is shared between positions, and a
 longer window means a wider W. Swapping two words of the window changes the output.
 <!-- output: Each window position -->
*/
func positionsHaveTheirOwnWeights(model: WindowLanguageModel<Float>, test: IndexedCorpus) {
    let d = model.embedding.embeddingSize
    let w = model.hidden.weight.value
    say("\n## Each window position has its own block of W (H × d each)")
    for position in 0..<4 {
        var sumSquares = 0.0
        for r in 0..<w.rows { for c in (position * d)..<((position + 1) * d) { sumSquares += Double(w[r, c] * w[r, c]) } }
        say(String(format: "  ‖W⁽%d⁾‖ = %.3f", position + 1, sumSquares.squareRoot()))
    }
    guard let sentence = test.sentences.first(where: { $0.count >= 5 }) else { return }
    let v = test.vocabulary
    let context = Array(sentence[0..<4]), swapped = [context[1], context[0], context[2], context[3]]
    let target = sentence[4]
    let p = model.distribution(context).scalars[target], q = model.distribution(swapped).scalars[target]
    say("  P(\(v.word(target)) | \(context.map(v.word).joined(separator: " "))) = \(formatScientific(Double(p)))")
    say("  P(\(v.word(target)) | \(swapped.map(v.word).joined(separator: " "))) = \(formatScientific(Double(q)))"
        + "   (first two words swapped)")
}

// book: details What --json FILE writes
/// What `--json FILE` writes.
struct Results: Encodable {
    var validPerplexity = 0.0
    var testPerplexity = 0.0
    var trainSeconds = 0.0
    var wordsPerSecond = 0.0
    var parameterCount = 0
    var ngramsStored: [String: Int] = [:]
    var kneserNeyTestPerplexity: [String: Double] = [:]
    var seconds = 0.0
}
