import Foundation

/// The small sample corpora this project wrote and ships, so every chapter runs on a
/// fresh clone. Real corpora come in through a chapter's `--data-dir`.
public enum SampleData {
    /// The URL of a bundled sample file, e.g. `ner-sample.conll`.
    public static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Samples/\(name)", withExtension: nil)
            ?? Bundle.module.bundleURL.appendingPathComponent("Samples").appendingPathComponent(name)
    }
}

/// Where the real corpora live: a folder laid out like the course's shared data
/// (`ptb/`, `conll2003/`, `sst/`, `names/`, `tinyshakespeare/`).
public struct DataDirectory: Sendable {
    public let root: URL

    public init(_ path: String) { root = URL(fileURLWithPath: path, isDirectory: true) }

    public func file(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// The Penn Treebank in Mikolov's language-modelling version.
    public var ptbTrain: URL { file("ptb/ptb.train.txt") }
    public var ptbValid: URL { file("ptb/ptb.valid.txt") }
    public var ptbTest: URL { file("ptb/ptb.test.txt") }

    /// CoNLL-2003 in its original IOB1 encoding: train, dev (testa) and test (testb).
    public var conllTrain: URL { file("conll2003/iob1/eng.train") }
    public var conllDev: URL { file("conll2003/iob1/eng.testa") }
    public var conllTest: URL { file("conll2003/iob1/eng.testb") }

    /// The course's shared data, if it is there: `$NLP_DATA_DIR` when set, else
    /// `../shared/data` beside this checkout. Tests use it, and skip with a message on a
    /// clone without it.
    public static func sharedIfPresent(near file: String = #filePath) -> DataDirectory? {
        if let path = ProcessInfo.processInfo.environment["NLP_DATA_DIR"], !path.isEmpty {
            return FileManager.default.fileExists(atPath: path) ? DataDirectory(path) : nil
        }
        var url = URL(fileURLWithPath: file)
        for _ in 0..<8 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("../shared/data").standardizedFileURL
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("conll2003").path) {
                return DataDirectory(candidate.path)
            }
        }
        return nil
    }
}
