import Foundation

/// One token of a CoNLL-style NER file: its word and entity tag, and the part-of-speech
/// and chunk columns where the file has them (CoNLL-2003 does; "-" otherwise).
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

/// Reads NER files in the CoNLL layout (IOB1 or IOB2 tags, any entity types).
///
/// One token per line, columns separated by spaces or tabs: the word is the first column
/// and the entity tag the *last*, whatever comes between, as conlleval reads them. So
/// both CoNLL-2003's four columns (`word POS chunk NER`) and the two (`word tag`) of most
/// other NER corpora read; every token line of a file must have the same number of
/// columns (conlleval asks the same), which catches a word with a space in it. With
/// three or more columns the second is kept as the part of speech, with four or more
/// the third as the chunk.
///
/// A blank or whitespace-only line ends a sentence; `-DOCSTART-` lines start a document
/// and are skipped. A tag that is not `O`, `B-TYPE` or `I-TYPE`, or (given the training
/// file's types) of a type the training file never has, is an error naming the file and
/// line.
public enum CoNLLReader {
    /// The sentences of a file. `knownTypes`, for a dev or test file, are the entity types
    /// of the training file: a tag of any other type is an error (the model could never
    /// predict it, and it would count as a silent miss).
    public static func read(_ url: URL, knownTypes: Set<String>? = nil) throws -> [TaggedSentence] {
        let path = url.path
        let lines = try readLines(url)
        var sentences: [TaggedSentence] = []
        var current: TaggedSentence = []
        var layout: (columns: Int, line: Int)?
        for (index, line) in lines.enumerated() {
            let number = index + 1
            func failure(_ reason: String) -> TextDataError {
                .malformedLine(path: path, line: number, text: String(line.prefix(80)), reason: reason)
            }
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { sentences.append(current); current = [] }
                continue
            }
            let columns = line.split(whereSeparator: isColumnSeparator)
            if columns[0] == "-DOCSTART-" {
                if !current.isEmpty { sentences.append(current); current = [] }
                continue
            }
            guard columns.count >= 2 else {
                throw failure("expected a word and a tag (2 or more columns), found 1 column")
            }
            if let layout, columns.count != layout.columns {
                throw failure("expected \(layout.columns) columns, as on line \(layout.line), found \(columns.count)")
            }
            layout = layout ?? (columns.count, number)
            let tag = String(columns[columns.count - 1])
            guard isValidTag(tag) else { throw failure("NER tag \"\(tag)\" is not O, B-TYPE or I-TYPE") }
            if let knownTypes, tag != "O", !knownTypes.contains(entityType(tag)) {
                throw failure("entity type \"\(entityType(tag))\" (tag \(tag)) never occurs in the training file, "
                              + "whose types are \(knownTypes.sorted().joined(separator: ", "))")
            }
            current.append(
                TaggedToken(word: String(columns[0]), partOfSpeech: columns.count >= 3 ? String(columns[1]) : "-",
                            chunk: columns.count >= 4 ? String(columns[2]) : "-", tag: tag))
        }
        if !current.isEmpty { sentences.append(current) }
        if sentences.isEmpty { throw TextDataError.emptyFile(path: path) }
        return sentences
    }

    /// Spaces and tabs, and the other ASCII white space conlleval's `split(/\s+/)` splits
    /// on; not other Unicode white space, which can be part of a word.
    static func isColumnSeparator(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\u{0B}" || character == "\u{0C}"
    }

    static func isValidTag(_ tag: String) -> Bool {
        if tag == "O" { return true }
        guard tag.count > 2, tag.hasPrefix("B-") || tag.hasPrefix("I-") else { return false }
        return true
    }

    /// "B-LOC" → "LOC": everything after the first hyphen, as ``EntityScores`` splits a tag.
    public static func entityType(_ tag: String) -> String {
        EntityScores.split(tag).1
    }

    /// The entity types the sentences' tags name, sorted.
    public static func entityTypes(_ sentences: [TaggedSentence]) -> [String] {
        Set(sentences.joined().lazy.filter { $0.tag != "O" }.map { entityType($0.tag) }).sorted()
    }
}

/// The train, dev and test files of an NER corpus, read and checked together before any
/// training: the entity types come from the training file, a dev or test tag of another
/// type is an error naming its file and line, and so is a dev or test file without a
/// single entity (its precision, recall and F1 would be 0/0, not a result).
public struct NERSplits: Sendable {
    public let train: [TaggedSentence]
    public let dev: [TaggedSentence]
    public let test: [TaggedSentence]
    /// The training file's entity types, sorted.
    public let types: [String]

    public init(train trainURL: URL, dev devURL: URL, test testURL: URL) throws {
        train = try CoNLLReader.read(trainURL)
        types = CoNLLReader.entityTypes(train)
        let known = Set(types)
        func evaluationSet(_ url: URL) throws -> [TaggedSentence] {
            let sentences = try CoNLLReader.read(url, knownTypes: known)
            guard sentences.joined().contains(where: { $0.tag != "O" }) else {
                throw TextDataError.nothingToEvaluate(
                    path: url.path, reason: "no entities (every tag is O), so precision, recall and F1 are undefined")
            }
            return sentences
        }
        dev = try evaluationSet(devURL)
        test = try evaluationSet(testURL)
    }

    /// CoNLL-2003 (or any NER corpus put in its place) in a data directory.
    public init(_ data: DataDirectory) throws {
        try self.init(train: data.conllTrain, dev: data.conllDev, test: data.conllTest)
    }
}

/// Whether tag `next` may follow tag `previous` (nil: the sentence start) in IOB2: I-X
/// only right after B-X or I-X.
public func iob2Allows(_ previous: String?, _ next: String) -> Bool {
    guard next.hasPrefix("I-") else { return true }
    guard let previous, previous != "O" else { return false }
    return previous.dropFirst(2) == next.dropFirst(2)
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
