import Foundation
import XCTest
@testable import TextData

final class CoNLLTests: XCTestCase {
    var scratch: ScratchFolder!

    override func setUpWithError() throws { scratch = try ScratchFolder() }
    override func tearDown() { scratch?.remove() }

    func write(_ text: String, _ name: String = "f.conll") throws -> URL { try scratch.write(text, name) }

    func testReadsDocstartBlankLinesAndColumns() throws {
        let url = try write("""
        -DOCSTART- -X- O O

        EU NNP I-NP I-ORG
        rejects VBZ I-VP O

        Peter NNP I-NP I-PER


        """)
        let sentences = try CoNLLReader.read(url)
        XCTAssertEqual(sentences.count, 2)
        XCTAssertEqual(sentences[0].map(\.word), ["EU", "rejects"])
        XCTAssertEqual(sentences[0].map(\.tag), ["I-ORG", "O"])
        XCTAssertEqual(sentences[0][0].partOfSpeech, "NNP")
        XCTAssertEqual(sentences[1][0].chunk, "I-NP")
    }

    func testMalformedLineNamesFileAndLine() throws {
        let url = try write("EU NNP I-NP I-ORG\nrejects VBZ O\n", "bad.conll")
        XCTAssertThrowsError(try CoNLLReader.read(url)) { error in
            guard case TextDataError.malformedLine(let path, let line, _, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(path, url.path)
            XCTAssertEqual(line, 2)
            XCTAssertTrue("\(error)".hasPrefix("\(url.path):2: expected 4 columns"), "\(error)")
        }
        let badTag = try write("EU NNP I-NP LOC\n", "tag.conll")
        XCTAssertThrowsError(try CoNLLReader.read(badTag)) { error in
            XCTAssertTrue("\(error)".contains("tag.conll:1: NER tag \"LOC\""), "\(error)")
        }
    }

    func testMissingAndEmptyFilesAreClearErrors() throws {
        let missing = scratch.appendingPathComponent("nope.conll")
        XCTAssertThrowsError(try CoNLLReader.read(missing)) { error in
            XCTAssertEqual(error as? TextDataError, .missingFile(path: missing.path))
        }
        let empty = try write("\n\n", "empty.conll")
        XCTAssertThrowsError(try CoNLLReader.read(empty)) { error in
            XCTAssertEqual(error as? TextDataError, .emptyFile(path: empty.path))
        }
        let onlyDocstart = try write("-DOCSTART- -X- O O\n\n", "doc.conll")
        XCTAssertThrowsError(try CoNLLReader.read(onlyDocstart)) { error in
            XCTAssertEqual(error as? TextDataError, .emptyFile(path: onlyDocstart.path))
        }
    }

    func testIOB1ToIOB2() {
        XCTAssertEqual(
            iob2Tags(["I-LOC", "I-LOC", "B-LOC", "O", "I-PER", "I-ORG", "I-ORG"]),
            ["B-LOC", "I-LOC", "B-LOC", "O", "B-PER", "B-ORG", "I-ORG"])
        XCTAssertEqual(iob2Tags(["B-LOC", "I-LOC", "O"]), ["B-LOC", "I-LOC", "O"])
    }

    func testBundledSampleReadsAndHoldsTheSlidesSentence() throws {
        let sentences = try CoNLLReader.read(SampleData.url("ner-sample.conll"))
        XCTAssertGreaterThanOrEqual(sentences.count, 200)
        XCTAssertEqual(sentences[0].map(\.word).joined(separator: " "), "the museums in Paris are amazing to see .")
        XCTAssertEqual(sentences[0][3].tag, "I-LOC")
    }

    /// The real corpus: sentence, token and entity counts as the data README states them
    /// (entities counted by our conlleval chunking of the IOB1 file, the README by the
    /// B- tags of the IOB2 file: two independent counts).
    func testRealCoNLLCountsMatchTheDataREADME() throws {
        guard let data = DataDirectory.sharedIfPresent() else {
            throw XCTSkip("../shared/data is absent (a fresh clone): real-corpus checks skipped")
        }
        let train = try CoNLLReader.read(data.conllTrain)
        XCTAssertEqual(train.count, 14_041)
        XCTAssertEqual(train.reduce(0) { $0 + $1.count }, 203_621)
        let tags = train.map { $0.map(\.tag) }
        let scores = EntityScores(gold: tags, predicted: tags)
        XCTAssertEqual(scores.byType["PER"]?.gold, 6_600)
        XCTAssertEqual(scores.byType["LOC"]?.gold, 7_140)
        XCTAssertEqual(scores.byType["ORG"]?.gold, 6_321)
        XCTAssertEqual(scores.byType["MISC"]?.gold, 3_438)
        XCTAssertEqual(scores.overall.f1, 100)
        let test = try CoNLLReader.read(data.conllTest)
        XCTAssertEqual(test.count, 3_453)
        XCTAssertEqual(test.reduce(0) { $0 + $1.count }, 46_435)
    }
}
