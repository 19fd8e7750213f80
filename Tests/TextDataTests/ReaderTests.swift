import Foundation
import XCTest
@testable import TextData

/// What every reader must do with files from other systems and other corpora: read
/// Windows and old-Mac line ends, a byte-order mark and a missing final newline exactly as
/// the LF file; say which file is wrong and how (a directory, unreadable, not UTF-8); read
/// any NER tag set and column layout; refuse an evaluation file with nothing to score.
final class ReaderTests: XCTestCase {
    var scratch: ScratchFolder!

    override func setUpWithError() throws { scratch = try ScratchFolder() }
    override func tearDown() { scratch?.remove() }

    func write(_ bytes: [UInt8], _ name: String) throws -> URL { try scratch.write(bytes, name) }
    func write(_ text: String, _ name: String) throws -> URL { try scratch.write(text, name) }

    /// The same text (written with LF) as other systems write it: CR LF, a byte-order mark
    /// before CR LF or LF, no final line end, and lone CRs.
    func variants(of text: String) -> [(name: String, bytes: [UInt8])] {
        precondition(text.hasSuffix("\n") && !text.contains("\r"))
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        return [("LF", Array(text.utf8)), ("CRLF", Array(crlf.utf8)), ("BOM+CRLF", bom + Array(crlf.utf8)),
                ("BOM+LF", bom + Array(text.utf8)), ("no final newline", Array(text.dropLast().utf8)),
                ("CRLF, no final newline", Array(crlf.dropLast().utf8)),  // "\r\n" is one Character
                ("CR", Array(text.replacingOccurrences(of: "\n", with: "\r").utf8))]
    }

    /// Reads every variant of `text` with `read` and checks each gives what the LF file gives.
    func assertVariantsReadAlike<T: Equatable>(_ text: String, file: StaticString = #filePath, line: UInt = #line,
                                               _ read: (URL) throws -> T) throws {
        let expected = try read(write(text, "lf.txt"))
        for (index, variant) in variants(of: text).enumerated() {
            let url = try write(variant.bytes, "variant-\(index).txt")
            XCTAssertEqual(try read(url), expected, "\(variant.name) reads differently", file: file, line: line)
        }
    }

    // MARK: - Line ends, byte-order mark, final newline

    func testPlainTextLinesReadAlikeWhateverTheLineEnds() throws {
        let text = " the cat sat \n\n on the mat \nN years ago\n"
        try assertVariantsReadAlike(text) { try readLines($0) }
        try assertVariantsReadAlike(text) { try readTokenizedLines($0) }
        try assertVariantsReadAlike(text) { try IndexedCorpus($0).sentences }
        XCTAssertEqual(try readTokenizedLines(write(text, "a.txt")),
                       [["the", "cat", "sat"], ["on", "the", "mat"], ["N", "years", "ago"]])
        // a PTB file with CR LF was read as one sentence: three here
        let crlf = try write(text.replacingOccurrences(of: "\n", with: "\r\n"), "crlf.txt")
        XCTAssertEqual(try IndexedCorpus(crlf).sentences.count, 3)
    }

    func testCoNLLReadsAlikeWhateverTheLineEnds() throws {
        let text = """
            -DOCSTART- -X- -X- O

            EU NNP I-NP I-ORG
            rejects VBZ I-VP O
            German JJ I-NP I-MISC

            Peter NNP I-NP I-PER
            Blackburn NNP I-NP I-PER

            """
        try assertVariantsReadAlike(text) { try CoNLLReader.read($0) }
        XCTAssertEqual(try CoNLLReader.read(write(text.replacingOccurrences(of: "\n", with: "\r\n"), "crlf.conll")).count, 2)
    }

    func testSentimentTreesReadAlikeWhateverTheLineEnds() throws {
        let text = "(3 (2 -LRB-) (4 (2 Very) (4 good)))\n\n(1 (2 not) (3 good))\n"
        try assertVariantsReadAlike(text) { url -> [LabelledSentence] in
            let bank = try SentimentTreebank.read(url, phrases: true)
            return bank.sentences + bank.phrases
        }
        let crlf = try write(text.replacingOccurrences(of: "\n", with: "\r\n"), "crlf.txt")
        XCTAssertEqual(try SentimentTreebank.read(crlf).sentences.count, 2)
    }

    // MARK: - Errors that say what happened

    func testADirectoryIsNamedAsOne() throws {
        let directory = scratch.appendingPathComponent("eng.testa")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertThrowsError(try CoNLLReader.read(directory)) { error in
            XCTAssertEqual(error as? TextDataError, .isDirectory(path: directory.path))
            XCTAssertEqual("\(error)", "\(directory.path): is a directory, not a file")
        }
        XCTAssertThrowsError(try readTokenizedLines(directory)) { error in
            XCTAssertEqual(error as? TextDataError, .isDirectory(path: directory.path))
        }
    }

    /// A file the system refuses to open. Root may read any file whatever its mode, so as
    /// root the test opens one of the kernel's write-only settings instead, which the kernel
    /// refuses to read even to root; the reader's code path is the same.
    func testAFileThatCannotBeOpenedSaysWhy() throws {
        let url: URL
        if geteuid() != 0 {
            url = try write("EU NNP I-NP I-ORG\n", "locked.conll")
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
        } else {
            url = URL(fileURLWithPath: "/proc/sys/vm/compact_memory")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw XCTSkip("running as root, which reads any file, on a system without /proc/sys/vm/compact_memory")
            }
        }
        XCTAssertThrowsError(try CoNLLReader.read(url)) { error in
            XCTAssertEqual(error as? TextDataError, .unreadableFile(path: url.path, reason: "Permission denied"))
            XCTAssertEqual("\(error)", "\(url.path): cannot be read (Permission denied)")
        }
    }

    /// A file that opens but whose reading fails: Linux's /proc/self/mem fails at offset 0
    /// with an I/O error, for every user.
    func testAReadThatFailsSaysWhy() throws {
        let url = URL(fileURLWithPath: "/proc/self/mem")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("no /proc/self/mem here (not Linux)") }
        XCTAssertThrowsError(try readLines(url)) { error in
            XCTAssertEqual(error as? TextDataError, .unreadableFile(path: url.path, reason: "Input/output error"))
        }
    }

    func testALinkLoopAndAFIFOAreUnreadableNotMissingOrWaitedOn() throws {
        let loop = scratch.appendingPathComponent("loop.txt")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        XCTAssertThrowsError(try readLines(loop)) { error in
            XCTAssertEqual(error as? TextDataError, .unreadableFile(path: loop.path, reason: "Too many levels of symbolic links"))
        }
        // nobody writes to this FIFO: opening it would wait for ever
        let fifo = scratch.appendingPathComponent("fifo.txt")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertThrowsError(try readLines(fifo)) { error in
            XCTAssertEqual(error as? TextDataError,
                           .unreadableFile(path: fifo.path, reason: "not a regular file (a FIFO, socket or device)"))
        }
        let missing = scratch.appendingPathComponent("missing.txt")
        XCTAssertThrowsError(try readLines(missing)) { error in
            XCTAssertEqual(error as? TextDataError, .missingFile(path: missing.path))
        }
    }

    func testInvalidUTF8NamesTheLineAndTheByte() throws {
        // line 3 holds 0xFF at byte 4 + 1 + 2 = 7 ("a b\n" "\n" "Pa" 0xFF)
        let url = try write(Array("a b\n\nPa".utf8) + [0xFF] + Array("ris\n".utf8), "latin.txt")
        XCTAssertThrowsError(try readTokenizedLines(url)) { error in
            XCTAssertEqual(error as? TextDataError, .invalidUTF8(path: url.path, line: 3, byteOffset: 7))
            XCTAssertTrue("\(error)".hasPrefix("\(url.path):3: not valid UTF-8 at byte offset 7"), "\(error)")
        }
        // offsets count the byte-order mark and CR LF line ends too; Latin-1 "é" is 0xE9
        let latin1 = try write([0xEF, 0xBB, 0xBF] + Array("ok\r\ncaf".utf8) + [0xE9, 0x0D, 0x0A], "latin1.txt")
        XCTAssertThrowsError(try CoNLLReader.read(latin1)) { error in
            XCTAssertEqual(error as? TextDataError, .invalidUTF8(path: latin1.path, line: 2, byteOffset: 10))
        }
        // an invalid sequence in an SST tree file
        let tree = try write(Array("(2 (2 a) (2 ".utf8) + [0xC0, 0xAF] + Array("))\n".utf8), "tree.txt")
        XCTAssertThrowsError(try SentimentTreebank.read(tree)) { error in
            XCTAssertEqual(error as? TextDataError, .invalidUTF8(path: tree.path, line: 1, byteOffset: 12))
        }
    }

    /// The validator against Swift's own decoder, on random bytes leaning to the edges of
    /// the UTF-8 ranges: it says "valid" exactly when decoding keeps every byte, and the
    /// offset it gives has a valid prefix before it.
    func testUTF8ValidatorAgreesWithSwiftsDecoder() {
        var random = SplitMix(seed: 7)
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                    0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        func isValid(_ bytes: ArraySlice<UInt8>) -> Bool { Array(String(decoding: bytes, as: UTF8.self).utf8) == Array(bytes) }
        for _ in 0..<20_000 {
            let bytes = (0..<random.below(7)).map { _ in interesting[random.below(interesting.count)] }[...]
            let bad = firstInvalidUTF8Byte(bytes)
            XCTAssertEqual(bad == nil, isValid(bytes), "\(bytes.map { String($0, radix: 16) })")
            if let bad { XCTAssertTrue(isValid(bytes[..<bad]), "\(bytes.map { String($0, radix: 16) }) at \(bad)") }
        }
    }

    // MARK: - Any tag set, any column layout

    func testTheTagIsTheLastColumnWhateverComesBefore() throws {
        let layouts = [
            "EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\n",  // two columns, TAB
            "EU B-ORG\nrejects O\n\nPeter B-PER\n",  // two columns, space
            "EU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\n",  // three (CoNLL-2002 Dutch)
            "EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\nPeter NNP I-NP B-PER\n",  // four (CoNLL-2003)
            "EU \t NNP\t\tI-NP  x B-ORG\nrejects VBZ I-VP x O\n\nPeter NNP I-NP x B-PER\n",  // five, mixed separators
        ]
        for (index, text) in layouts.enumerated() {
            let sentences = try CoNLLReader.read(write(text, "layout-\(index).conll"))
            XCTAssertEqual(sentences.map { $0.map(\.word) }, [["EU", "rejects"], ["Peter"]], text)
            XCTAssertEqual(sentences.map { $0.map(\.tag) }, [["B-ORG", "O"], ["B-PER"]], text)
        }
        let three = try CoNLLReader.read(write(layouts[2], "three.conll"))
        XCTAssertEqual(three[0][0].partOfSpeech, "NNP")
        XCTAssertEqual(three[0][0].chunk, "-")
    }

    func testAWhitespaceOnlyLineEndsASentence() throws {
        let text = "EU\tB-ORG\nrejects\tO\n \t \nPeter\tB-PER\n   \n\nBlackburn\tB-PER\n\t\n"
        let sentences = try CoNLLReader.read(write(text, "spaces.conll"))
        XCTAssertEqual(sentences.map { $0.map(\.word) }, [["EU", "rejects"], ["Peter"], ["Blackburn"]])
    }

    func testAnotherNumberOfColumnsNamesTheLine() throws {
        let url = try write("-DOCSTART- O\n\nEU B-ORG\nrejects VBZ O\n", "mixed.conll")
        XCTAssertThrowsError(try CoNLLReader.read(url)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(url.path):4: expected 2 columns, as on line 3, found 3"), "\(error)")
        }
        let single = try write("EU\n", "single.conll")
        XCTAssertThrowsError(try CoNLLReader.read(single)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(single.path):1: expected a word and a tag"), "\(error)")
        }
    }

    /// Other corpora's types read and score like CoNLL-2003's: the six of the WNUT-17
    /// social-media corpus here, lower case and with hyphens inside.
    func testAnyEntityTypesRead() throws {
        let text = """
            Apple\tB-corporation
            iPhone\tB-product
            Tim\tB-person
            Cook\tI-person
            Paris\tB-location
            Hamlet\tB-creative-work
            BTS\tB-group

            """
        let sentences = try CoNLLReader.read(write(text, "wnut.conll"))
        XCTAssertEqual(CoNLLReader.entityTypes(sentences),
                       ["corporation", "creative-work", "group", "location", "person", "product"])
        let tags = sentences.map { $0.map(\.tag) }
        XCTAssertEqual(EntityScores(gold: tags, predicted: tags).types.count, 6)
    }

    func testADevTagOfATypeTrainingLacksNamesFileAndLine() throws {
        let train = try write("EU\tB-ORG\nPeter\tB-PER\n", "train.conll")
        let dev = try write("Paris\tB-LOC\n\nthe\tO\nMoon\tB-place\n", "dev.conll")
        let test = try write("Peter\tI-PER\n", "test.conll")
        XCTAssertThrowsError(try NERSplits(train: train, dev: dev, test: test)) { error in
            guard case .malformedLine(let path, let line, _, let reason)? = error as? TextDataError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, dev.path)
            XCTAssertEqual(line, 1)  // the first unseen type; "place" on line 4 is the next
            XCTAssertTrue(reason.contains("entity type \"LOC\" (tag B-LOC) never occurs in the training file"), reason)
        }
        // I-PER where training has only B-PER is the same type: IOB1 and IOB2 mix
        let known = try write("EU\tI-ORG\n", "known.conll")
        let splits = try NERSplits(train: train, dev: known, test: test)
        XCTAssertEqual(splits.types, ["ORG", "PER"])
    }

    // MARK: - Nothing to evaluate

    func testAnNERDevOrTestFileWithoutEntitiesIsAnError() throws {
        let train = try write("EU\tB-ORG\nPeter\tB-PER\n", "train.conll")
        let entities = try write("Peter\tB-PER\n", "entities.conll")
        let none = try write("the\tO\ncat\tO\n", "none.conll")
        for (dev, test) in [(none, entities), (entities, none)] {
            XCTAssertThrowsError(try NERSplits(train: train, dev: dev, test: test)) { error in
                XCTAssertEqual(error as? TextDataError, .nothingToEvaluate(
                    path: none.path, reason: "no entities (every tag is O), so precision, recall and F1 are undefined"))
            }
        }
    }

    /// A validation or test text with no tokens, only white space, is no corpus.
    func testALanguageModelEvaluationTextWithoutTokensIsAnError() throws {
        let words = " a b c \n d e \n"
        try scratch.write(words, "data/ptb/ptb.train.txt")
        try scratch.write(words, "data/ptb/ptb.valid.txt")
        try scratch.write(" \n\t\r\n\n", "data/ptb/ptb.test.txt")
        let directory = scratch.appendingPathComponent("data").path
        XCTAssertThrowsError(try LanguageModellingSplits(dataDirectory: directory)) { error in
            XCTAssertEqual(error as? TextDataError, .emptyFile(path: DataDirectory(directory).ptbTest.path))
        }
        try scratch.write([0xEF, 0xBB, 0xBF], "data/ptb/ptb.test.txt")  // a byte-order mark and nothing else
        XCTAssertThrowsError(try LanguageModellingSplits(dataDirectory: directory))
        try scratch.write(words, "data/ptb/ptb.test.txt")
        XCTAssertEqual(try LanguageModellingSplits(dataDirectory: directory).test.sentences.count, 2)
    }

    /// A line of a hundred thousand "(" is an error, not a stack overflow.
    func testDeeplyNestedTreesAreRefusedNotFollowed() throws {
        let url = try write(String(repeating: "(2 ", count: 100_000) + "a" + String(repeating: ")", count: 100_000) + "\n",
                            "deep.txt")
        XCTAssertThrowsError(try SentimentTreebank.read(url)) { error in
            XCTAssertTrue("\(error)".contains("nested more than 1000 deep"), "\(error)")
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a few lines of seeded randomness for the
/// tests, so they depend on nothing but TextData.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0 ..< n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
