/// Entity-level precision, recall and F1, computed exactly as the CoNLL shared tasks'
/// `conlleval` script computes them.
///
/// An entity (a "chunk") counts as correct only when the predicted chunk starts and ends
/// where the gold one does and has the same type. Chunk boundaries are found from
/// consecutive tags with conlleval's start-of-chunk and end-of-chunk rules, so IOB1 and
/// IOB2 tags are both read correctly; a sentence break ends every chunk.
/// ```
/// precision = 100 · correct / predicted,  recall = 100 · correct / gold
/// F1 = 2 · precision · recall / (precision + recall)
/// ```
public struct EntityScores: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var correct = 0
        public var predicted = 0
        public var gold = 0

        public var precision: Double { predicted > 0 ? 100 * Double(correct) / Double(predicted) : 0 }
        public var recall: Double { gold > 0 ? 100 * Double(correct) / Double(gold) : 0 }
        public var f1: Double {
            let p = precision, r = recall
            return p + r > 0 ? 2 * p * r / (p + r) : 0
        }
    }

    public private(set) var overall = Counts()
    public private(set) var byType: [String: Counts] = [:]
    public private(set) var tokens = 0
    public private(set) var correctTags = 0

    /// Token-level tag accuracy in percent, as conlleval prints it.
    public var accuracy: Double { tokens > 0 ? 100 * Double(correctTags) / Double(tokens) : 0 }
    /// The entity types seen in gold or predictions, sorted.
    public var types: [String] { byType.keys.sorted() }

    /// Scores parallel sentences of gold and predicted tags.
    public init(gold: [[String]], predicted: [[String]]) {
        precondition(gold.count == predicted.count, "EntityScores: \(gold.count) gold sentences, \(predicted.count) predicted")
        var inCorrect = false
        var last = (gold: ("O", ""), guess: ("O", ""))
        func step(gold g: (String, String), guess p: (String, String), isBoundary: Bool) {
            let goldEnds = endOfChunk(last.gold, g), guessEnds = endOfChunk(last.guess, p)
            if inCorrect {
                if goldEnds && guessEnds && last.guess.1 == last.gold.1 {
                    inCorrect = false
                    overall.correct += 1
                    byType[last.gold.1, default: Counts()].correct += 1
                } else if goldEnds != guessEnds || p.1 != g.1 {
                    inCorrect = false
                }
            }
            let goldStarts = startOfChunk(last.gold, g), guessStarts = startOfChunk(last.guess, p)
            if goldStarts && guessStarts && p.1 == g.1 { inCorrect = true }
            if goldStarts {
                overall.gold += 1
                byType[g.1, default: Counts()].gold += 1
            }
            if guessStarts {
                overall.predicted += 1
                byType[p.1, default: Counts()].predicted += 1
            }
            if !isBoundary {
                if g == p { correctTags += 1 }
                tokens += 1
            }
            last = (g, p)
        }
        for (goldSentence, predictedSentence) in zip(gold, predicted) {
            precondition(goldSentence.count == predictedSentence.count, "EntityScores: sentence lengths differ")
            for (g, p) in zip(goldSentence, predictedSentence) {
                step(gold: Self.split(g), guess: Self.split(p), isBoundary: false)
            }
            step(gold: ("O", ""), guess: ("O", ""), isBoundary: true)
        }
        if inCorrect {
            overall.correct += 1
            byType[last.gold.1, default: Counts()].correct += 1
        }
    }

    /// "B-LOC" → ("B", "LOC"); "O" → ("O", ""). The type is everything after the first hyphen.
    static func split(_ tag: String) -> (String, String) {
        guard let hyphen = tag.firstIndex(of: "-") else { return (tag, "") }
        return (String(tag[..<hyphen]), String(tag[tag.index(after: hyphen)...]))
    }
}

/// A named entity read back from a tag sequence: its type and the words it covers.
public struct EntitySpan: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var range: Range<Int>

    public init(type: String, range: Range<Int>) {
        self.type = type
        self.range = range
    }

    public var description: String { "\(type)[\(range.lowerBound)..<\(range.upperBound)]" }

    /// The entities of one sentence's tags, by the same start-of-chunk and end-of-chunk
    /// rules ``EntityScores`` counts with, so IOB1 (`I-PER I-PER B-PER`: B only between two
    /// entities of one type) and IOB2 (`B-PER I-PER B-PER`: B at every start) both read
    /// right, and an ill-formed `O I-LOC` still opens an entity, as conlleval reads it.
    public static func spans(_ tags: [String]) -> [EntitySpan] {
        var spans: [EntitySpan] = []
        var open: (type: String, start: Int)?
        var last = ("O", "")
        for (i, tag) in (tags + ["O"]).enumerated() {
            let current = EntityScores.split(tag)
            if let entity = open, endOfChunk(last, current) {
                spans.append(EntitySpan(type: entity.type, range: entity.start..<i))
                open = nil
            }
            if i < tags.count, startOfChunk(last, current) { open = (current.1, i) }
            last = current
        }
        return spans
    }
}

/// conlleval's endOfChunk: did a chunk end between the previous and the current word?
private func endOfChunk(_ previous: (String, String), _ current: (String, String)) -> Bool {
    let (pt, py) = previous, (t, y) = current
    if pt == "B" && (t == "B" || t == "O") { return true }
    if pt == "I" && (t == "B" || t == "O") { return true }
    if pt == "E" && (t == "E" || t == "I" || t == "O") { return true }
    if pt != "O" && pt != "." && py != y { return true }
    if pt == "]" || pt == "[" { return true }
    return false
}

/// conlleval's startOfChunk: did a chunk start between the previous and the current word?
private func startOfChunk(_ previous: (String, String), _ current: (String, String)) -> Bool {
    let (pt, py) = previous, (t, y) = current
    if t == "B" && (pt == "B" || pt == "I" || pt == "O") { return true }
    if pt == "O" && (t == "I" || t == "E") { return true }
    if pt == "E" && (t == "E" || t == "I") { return true }
    if t != "O" && t != "." && py != y { return true }
    if t == "[" || t == "]" { return true }
    return false
}

/// The most-frequent-tag baseline of a tagging task: each word gets the tag it carries
/// most often in `train` (a tie: the tag it was first seen with), a word never seen in
/// training `O`; the entity scores of that guess on `sentences`. A tagger that learned
/// nothing beyond a lookup table of words scores this; tests hold models above it.
public func mostFrequentTagBaseline(train: [TaggedSentence], on sentences: [TaggedSentence]) -> EntityScores {
    var counts: [String: [String: Int]] = [:], order: [String: [String]] = [:]
    for token in train.joined() {
        if counts[token.word]?[token.tag] == nil { order[token.word, default: []].append(token.tag) }
        counts[token.word, default: [:]][token.tag, default: 0] += 1
    }
    var best: [String: String] = [:]
    for (word, tags) in order {
        let top = counts[word]!.values.max()!
        best[word] = tags.first { counts[word]![$0] == top }
    }
    return EntityScores(gold: sentences.map { $0.map(\.tag) },
                        predicted: sentences.map { $0.map { best[$0.word] ?? "O" } })
}
