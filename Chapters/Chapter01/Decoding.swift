import TextData

/*: ## Decoding a sentence's tags

 The softmax classifier decides each word alone, so nothing stops it from answering
 `O I-ORG` — an entity that continues without having begun — or `B-PER I-LOC`. The
 simplest repair keeps the classifier and changes only how its answers are read: among
 the tag sequences that are *well formed* in IOB2 (I-X only right after B-X or I-X:
 `iob2Allows` in `Sources/TextData/CoNLL.swift`, which Chapter 9's taggers use too), pick
 the one with the largest total log-probability Σₜ log P(tagₜ | windowₜ). The Viterbi
 algorithm finds it exactly in O(n·C²) for n words and C tags.

 This is not yet the sentence-level training of Collobert et al. (who also learn a score
 for each transition): the probabilities are the same word-level ones, only the
 impossible sequences are ruled out.
*/
enum IOBDecoder {
    /// The best well-formed tag sequence for one sentence, from its (n × C) log-probabilities
    /// over `tags`.
    static func decode(logProbabilities: [[Double]], tags: [String]) -> [Int] {
        let n = logProbabilities.count, c = tags.count
        guard n > 0 else { return [] }
        var score = [Double](repeating: -.infinity, count: c)
        for j in 0..<c where iob2Allows(nil, tags[j]) { score[j] = logProbabilities[0][j] }
        var backpointers: [[Int]] = []
        for t in 1..<max(n, 1) where n > 1 {
            var next = [Double](repeating: -.infinity, count: c)
            var pointers = [Int](repeating: 0, count: c)
            for j in 0..<c {
                for i in 0..<c where iob2Allows(tags[i], tags[j]) && score[i] > -.infinity {
                    let candidate = score[i] + logProbabilities[t][j]
                    if candidate > next[j] { next[j] = candidate; pointers[j] = i }
                }
            }
            score = next
            backpointers.append(pointers)
        }
        var best = score.indices.max { score[$0] < score[$1] }!
        var path = [best]
        for pointers in backpointers.reversed() {
            best = pointers[best]
            path.append(best)
        }
        return path.reversed()
    }
}
