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

/// The train / validation / test texts a language-model chapter uses: the Penn Treebank
/// from a data directory, or the bundled sample without one. The vocabulary is built from
/// train; the other two map unseen words to `<unk>`.
public struct LanguageModellingSplits: Sendable {
    public let train: IndexedCorpus
    public let valid: IndexedCorpus
    public let test: IndexedCorpus
    /// Where the text came from, in words.
    public let source: String

    public init(dataDirectory: String?) throws {
        let files: (URL, URL, URL)
        if let dataDirectory {
            let data = DataDirectory(dataDirectory)
            files = (data.ptbTrain, data.ptbValid, data.ptbTest)
            source = "Penn Treebank (Mikolov's LM version), \(data.root.path)/ptb"
        } else {
            files = (SampleData.url("lm-sample.train.txt"), SampleData.url("lm-sample.valid.txt"),
                     SampleData.url("lm-sample.test.txt"))
            source = "the bundled sample (made-up sentences; use --data-dir for the Penn Treebank)"
        }
        train = try IndexedCorpus(files.0)
        valid = try IndexedCorpus(files.1, vocabulary: train.vocabulary)
        test = try IndexedCorpus(files.2, vocabulary: train.vocabulary)
    }
}
