import Foundation

/// A language model over a closed vocabulary of ids: P(w | context).
///
/// `context` is the words before w, oldest first, with `<s>` in front at the start of a
/// sentence; a model of order n reads at most its last n − 1 ids.
public protocol LanguageModel {
    var order: Int { get }
    var counts: NGramCounts { get }
    /// P(word | context), or nil when the model has no distribution for this context
    /// (maximum likelihood with a context never seen).
    func probability(of word: Int, after context: ArraySlice<Int>) -> Double?
}

extension LanguageModel {
    /// The ids a model predicts: every id but `<s>` (which is context only).
    public var predictedIDs: [Int] { (0..<counts.vocabularySize).filter { $0 != counts.startID } }

    /// The whole distribution after `context`, over `predictedIDs` (nil as above).
    public func distribution(after context: ArraySlice<Int>) -> [(id: Int, probability: Double)]? {
        var out: [(Int, Double)] = []
        for id in predictedIDs {
            guard let p = probability(of: id, after: context) else { return nil }
            out.append((id, p))
        }
        return out
    }
}

/// Perplexity of a model on sentences, with the standard tools' boundaries: every word and
/// one `</s>` per sentence are predicted, `<s>` is context only.
/// ```
/// PP = exp( −(1/N) Σₜ log P(wₜ | context) )
/// ```
public struct PerplexityResult: Sendable {
    /// Σ log P over the predicted tokens (natural log).
    public var logProbability = 0.0
    public var tokens = 0
    /// Predicted tokens that got probability 0 (their log is −∞).
    public var zeroProbabilityTokens = 0
    /// Tokens whose context had no distribution at all.
    public var undefinedTokens = 0

    public var crossEntropy: Double { -logProbability / Double(tokens) }
    public var perplexity: Double {
        zeroProbabilityTokens + undefinedTokens > 0 ? .infinity : exp(crossEntropy)
    }
}

public func perplexity(of model: some LanguageModel, on sentences: [[Int]]) -> PerplexityResult {
    var result = PerplexityResult()
    var line: [Int] = []
    for sentence in sentences {
        line.removeAll(keepingCapacity: true)
        line.append(model.counts.startID)
        line.append(contentsOf: sentence)
        line.append(model.counts.endID)
        for t in 1..<line.count {
            let context = line[max(0, t - model.order + 1)..<t]
            result.tokens += 1
            guard let p = model.probability(of: line[t], after: context) else {
                result.undefinedTokens += 1
                continue
            }
            if p > 0 { result.logProbability += log(p) } else { result.zeroProbabilityTokens += 1 }
        }
    }
    return result
}
