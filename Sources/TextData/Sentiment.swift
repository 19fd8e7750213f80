import Foundation

/// A sentence (or phrase) with a sentiment label on the Stanford Sentiment Treebank's
/// five-point scale: 0 very negative, 1 negative, 2 neutral, 3 positive, 4 very positive.
public struct LabelledSentence: Equatable, Sendable {
    public var words: [String]
    public var label: Int

    public init(words: [String], label: Int) {
        self.words = words
        self.label = label
    }

    /// The binary (SST-2) version: 0, 1 → 0 (negative); 3, 4 → 1 (positive); neutral
    /// sentences have none (nil), as in the SST-2 files.
    public var binary: LabelledSentence? {
        switch label {
        case 0, 1: return LabelledSentence(words: words, label: 0)
        case 3, 4: return LabelledSentence(words: words, label: 1)
        default: return nil
        }
    }
}

/// One split of the Stanford Sentiment Treebank (Socher et al. 2013), read from its
/// official tree files (`trainDevTestTrees_PTB`): every line one binary parse tree,
/// every node `(label child child)` or `(label word)`.
///
/// `sentences` are the roots, the units that dev and test accuracy are reported on;
/// `phrases` are every node, each labelled by the annotators (a sentence's root is among
/// them). Words are lower-cased and the Penn Treebank escapes undone (`-LRB-` → `(`).
public struct SentimentTreebank: Sendable {
    public var sentences: [LabelledSentence]
    public var phrases: [LabelledSentence]

    /// The sentence roots and, optionally, the distinct labelled phrases of a tree file.
    public static func read(_ url: URL, phrases keepPhrases: Bool = false) throws -> SentimentTreebank {
        let path = url.path
        var sentences: [LabelledSentence] = []
        var phrases: [LabelledSentence] = []
        var seen = Set<[String]>()
        for (index, line) in try readLines(url).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            var parser = TreeParser(text: Array(line.utf8))
            do {
                let root = try parser.parseTree(collect: keepPhrases ? { phrase in
                    if seen.insert(phrase.words).inserted { phrases.append(phrase) }
                } : nil)
                try parser.expectEnd()
                sentences.append(root)
            } catch let reason as TreeParser.Failure {
                throw TextDataError.malformedLine(
                    path: path, line: index + 1, text: String(line.prefix(80)), reason: reason.message)
            }
        }
        if sentences.isEmpty { throw TextDataError.emptyFile(path: path) }
        return SentimentTreebank(sentences: sentences, phrases: phrases)
    }
}

/// A recursive-descent reader of one bracketed tree.
private struct TreeParser {
    struct Failure: Error { let message: String }

    let text: [UInt8]
    var position = 0

    init(text: [UInt8]) { self.text = text }

    mutating func skipSpaces() {
        while position < text.count, text[position] == UInt8(ascii: " ") || text[position] == UInt8(ascii: "\t") {
            position += 1
        }
    }

    /// Deeper nesting than this is refused rather than followed: each level is a call,
    /// and a line of a million "(" would otherwise overflow the stack. The treebank's
    /// deepest tree is a few dozen levels.
    static let maximumDepth = 1000

    /// `(label child child)` or `(label word)`; returns the node's words and label, and
    /// hands every node (the root included) to `collect`.
    mutating func parseTree(collect: ((LabelledSentence) -> Void)?, depth: Int = 1) throws -> LabelledSentence {
        guard depth <= Self.maximumDepth else {
            throw Failure(message: "trees nested more than \(Self.maximumDepth) deep at column \(position + 1)")
        }
        skipSpaces()
        guard position < text.count, text[position] == UInt8(ascii: "(") else {
            throw Failure(message: "expected \"(\" at column \(position + 1)")
        }
        position += 1
        skipSpaces()
        let labelStart = position
        while position < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[position]) { position += 1 }
        guard let label = Int(String(decoding: text[labelStart..<position], as: UTF8.self)), (0...4).contains(label) else {
            throw Failure(message: "expected a label 0-4 at column \(labelStart + 1)")
        }
        skipSpaces()
        var words: [String] = []
        if position < text.count, text[position] == UInt8(ascii: "(") {
            while true {
                skipSpaces()
                guard position < text.count else { throw Failure(message: "the tree is not closed") }
                if text[position] == UInt8(ascii: ")") { break }
                words += try parseTree(collect: collect, depth: depth + 1).words
            }
        } else {
            let start = position
            while position < text.count, text[position] != UInt8(ascii: ")"), text[position] != UInt8(ascii: " ") {
                position += 1
            }
            guard position > start else { throw Failure(message: "a leaf without a word at column \(start + 1)") }
            words = [Self.normalized(String(decoding: text[start..<position], as: UTF8.self))]
            skipSpaces()
        }
        guard position < text.count, text[position] == UInt8(ascii: ")") else {
            throw Failure(message: "expected \")\" at column \(position + 1)")
        }
        position += 1
        guard !words.isEmpty else { throw Failure(message: "a node without words at column \(labelStart)") }
        let node = LabelledSentence(words: words, label: label)
        collect?(node)
        return node
    }

    mutating func expectEnd() throws {
        skipSpaces()
        if position < text.count { throw Failure(message: "text after the tree at column \(position + 1)") }
    }

    static func normalized(_ word: String) -> String {
        switch word {
        case "-LRB-": return "("
        case "-RRB-": return ")"
        default: return word.replacingOccurrences(of: "\\/", with: "/").lowercased()
        }
    }
}

extension DataDirectory {
    /// The Stanford Sentiment Treebank's official trees: train, dev and test.
    public var sstTrain: URL { file("sst/trees/train.txt") }
    public var sstDev: URL { file("sst/trees/dev.txt") }
    public var sstTest: URL { file("sst/trees/test.txt") }
}
