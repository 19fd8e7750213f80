import Foundation

/// Sentence boundaries as the standard n-gram tools (SRILM, KenLM) mark them.
///
/// Each line is one sentence. `<s>` is put before it as context only (it is never
/// predicted); `</s>` is put after it and *is* predicted, so a sentence of k words
/// contributes k + 1 predicted tokens.
public enum SentenceMarks {
    public static let start = "<s>"
    public static let end = "</s>"
}

/// A corpus as vocabulary ids, one array per sentence, ready for language modelling.
public struct IndexedCorpus: Sendable {
    public let vocabulary: Vocabulary
    /// Each sentence's word ids, without the boundary marks.
    public let sentences: [[Int]]

    /// The sentences of a one-sentence-per-line text file (PTB's layout). Words outside
    /// `vocabulary` map to `<unk>`; with no vocabulary given, one is built from this file
    /// (every word kept, plus `<s>` and `</s>`).
    public init(_ url: URL, vocabulary: Vocabulary? = nil) throws {
        let lines = try readTokenizedLines(url)
        let vocabulary = vocabulary ?? Vocabulary(
            counting: lines.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
        self.init(sentences: lines, vocabulary: vocabulary)
    }

    public init(sentences: [[String]], vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        self.sentences = sentences.map { $0.map(vocabulary.id) }
    }

    public var startID: Int { vocabulary.id(SentenceMarks.start) }
    public var endID: Int { vocabulary.id(SentenceMarks.end) }

    /// Predicted tokens: every word plus one `</s>` per sentence.
    public var predictedTokenCount: Int { sentences.reduce(0) { $0 + $1.count + 1 } }
}
