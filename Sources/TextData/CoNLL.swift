import Foundation

/// One token of a CoNLL-2003 file: `word POS chunk NER`.
public struct TaggedToken: Equatable, Sendable {
    public var word: String
    public var partOfSpeech: String
    public var chunk: String
    public var tag: String

    public init(word: String, partOfSpeech: String = "-", chunk: String = "-", tag: String) {
        self.word = word
        self.partOfSpeech = partOfSpeech
        self.chunk = chunk
        self.tag = tag
    }
}

public typealias TaggedSentence = [TaggedToken]

/// Reads CoNLL-2003 NER files (IOB1 or IOB2 tags).
///
/// One token per line with four space-separated columns (`word POS chunk NER`); an empty
/// line ends a sentence; `-DOCSTART-` lines (and the empty line after them) start a
/// document and are skipped. A line with another number of columns, or an NER tag that
/// is not `O`, `B-TYPE` or `I-TYPE`, is an error naming the file and line.
public enum CoNLLReader {
    public static func read(_ url: URL) throws -> [TaggedSentence] {
        let path = url.path
        let lines = try readLines(url)
        var sentences: [TaggedSentence] = []
        var current: TaggedSentence = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            if columns.isEmpty {
                if !current.isEmpty { sentences.append(current); current = [] }
                continue
            }
            if columns[0] == "-DOCSTART-" {
                if !current.isEmpty { sentences.append(current); current = [] }
                continue
            }
            guard columns.count == 4 else {
                throw TextDataError.malformedLine(
                    path: path, line: number, text: String(line),
                    reason: "expected 4 columns (word POS chunk NER), found \(columns.count)")
            }
            let tag = String(columns[3])
            guard isValidTag(tag) else {
                throw TextDataError.malformedLine(
                    path: path, line: number, text: String(line),
                    reason: "NER tag \"\(tag)\" is not O, B-TYPE or I-TYPE")
            }
            current.append(
                TaggedToken(word: String(columns[0]), partOfSpeech: String(columns[1]),
                            chunk: String(columns[2]), tag: tag))
        }
        if !current.isEmpty { sentences.append(current) }
        if sentences.isEmpty { throw TextDataError.emptyFile(path: path) }
        return sentences
    }

    static func isValidTag(_ tag: String) -> Bool {
        if tag == "O" { return true }
        guard tag.count > 2, tag.hasPrefix("B-") || tag.hasPrefix("I-") else { return false }
        return true
    }
}

/// Converts IOB1 tags (an entity starts with `I-`, `B-` only between two adjacent entities
/// of one type) to IOB2 (every entity starts with `B-`). IOB2 input comes back unchanged.
public func iob2Tags(_ tags: [String]) -> [String] {
    var out = tags
    var previous = "O"
    for (i, tag) in tags.enumerated() {
        if tag.hasPrefix("I-") {
            let type = tag.dropFirst(2)
            if previous == "O" || previous.dropFirst(2) != type { out[i] = "B-" + type }
        }
        previous = tag
    }
    return out
}
