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
    /// Words of the text that are not in `vocabulary` and so read as `<unk>` (a literal
    /// `<unk>` in the text, as in the Penn Treebank, is in the vocabulary and not counted).
    public let outOfVocabularyCount: Int

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
        // One lookup per token: an id of <unk> for a word that is not "<unk>" itself is a
        // word the vocabulary lacks.
        var unknown = 0
        self.sentences = sentences.map { sentence in
            sentence.map { word in
                let id = vocabulary.id(word)
                if id == vocabulary.unknownID && word != Vocabulary.unknown { unknown += 1 }
                return id
            }
        }
        outOfVocabularyCount = unknown
    }

    /// Words in the text (without `</s>`).
    public var wordCount: Int { sentences.reduce(0) { $0 + $1.count } }

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
        notes = Self.notes(train: (files.0, train), held: [("valid", files.1, valid), ("test", files.2, test)])
    }

    /// What a student should know about the held-out texts before reading a perplexity:
    /// how many of their words the training vocabulary does not have (they all read as
    /// `<unk>`, one cheap shared word, so a high rate flatters the perplexity), and a
    /// warning when a held-out text is the training text itself. Empty for the Penn
    /// Treebank, whose vocabulary is closed (rare words are already `<unk>` in the files).
    public let notes: [String]

    static func notes(train: (URL, IndexedCorpus), held: [(String, URL, IndexedCorpus)]) -> [String] {
        var notes: [String] = []
        for (name, url, corpus) in held {
            if corpus.outOfVocabularyCount > 0 {
                notes.append(String(format: "%@: %d of %d words (%.2f%%) are not in the training vocabulary and read as <unk>",
                                    name, corpus.outOfVocabularyCount, corpus.wordCount,
                                    100 * Double(corpus.outOfVocabularyCount) / Double(max(corpus.wordCount, 1))))
            }
            let sameFile = url.resolvingSymlinksInPath().standardizedFileURL == train.0.resolvingSymlinksInPath().standardizedFileURL
            if sameFile || corpus.sentences == train.1.sentences {
                notes.append("Warning: the \(name) text \(url.path) is the training text: its perplexity measures memory, not prediction")
            }
        }
        return notes
    }
}

/// A corpus as one running stream of ids, the way recurrent language models read it
/// (Mikolov's RNNLM, Zaremba et al.): the sentences one after another, each followed by
/// `</s>`, and one `</s>` in front as the first input. Every token after the first is
/// predicted once, so the stream predicts exactly ``IndexedCorpus/predictedTokenCount``
/// tokens, the same ones the n-gram models of Chapter 3 predict; the difference is that
/// a recurrent model may carry context across a sentence boundary.
public struct TokenStream: Sendable {
    public let ids: [Int]
    /// The id that fills the input of a padding position (`</s>`).
    public let padding: Int

    public init(_ corpus: IndexedCorpus) {
        var ids = [corpus.endID]
        ids.reserveCapacity(corpus.predictedTokenCount + 1)
        for sentence in corpus.sentences { ids += sentence; ids.append(corpus.endID) }
        self.ids = ids
        padding = corpus.endID
    }

    public init(ids: [Int], padding: Int) {
        self.ids = ids
        self.padding = padding
    }

    /// Tokens predicted: all but the first.
    public var predictedCount: Int { Swift.max(ids.count - 1, 0) }

    /// The stream cut into `batchSize` contiguous columns, read `length` steps at a time
    /// (truncated backpropagation through time reads them in order, carrying the hidden
    /// state from one window to the next).
    ///
    /// Column b starts at position b·L of the stream. With `complete` false, L is
    /// ⌊predicted / batchSize⌋ and the last few tokens are dropped (training); with
    /// `complete` true, L is ⌈predicted / batchSize⌉ and the end of the last column is
    /// padded with target −1 (no prediction), so every token is predicted exactly once
    /// (evaluation).
    public func windows(batchSize: Int, length: Int, complete: Bool) -> [StreamWindow] {
        precondition(batchSize > 0 && length > 0, "TokenStream: batch size and length must be positive")
        let predicted = predictedCount
        let columnLength = complete ? (predicted + batchSize - 1) / batchSize : predicted / batchSize
        var windows: [StreamWindow] = []
        for start in stride(from: 0, to: columnLength, by: length) {
            let steps = Swift.min(length, columnLength - start)
            var inputs = [[Int]](repeating: [], count: steps), targets = [[Int]](repeating: [], count: steps)
            for t in 0..<steps {
                for b in 0..<batchSize {
                    let position = b * columnLength + start + t
                    let inside = position + 1 < ids.count
                    inputs[t].append(inside ? ids[position] : padding)
                    targets[t].append(inside ? ids[position + 1] : -1)
                }
            }
            windows.append(StreamWindow(inputs: inputs, targets: targets))
        }
        return windows
    }
}

/// One window of truncated BPTT: `inputs[t][b]` is column b's input at step t and
/// `targets[t][b]` the next token (−1 where there is none).
public struct StreamWindow: Sendable {
    public let inputs: [[Int]]
    public let targets: [[Int]]
    public var steps: Int { inputs.count }
    public var batchSize: Int { inputs.first?.count ?? 0 }
    /// Positions with a real target.
    public var predictedCount: Int { targets.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } } }
}
