import Foundation
import TextData
import XCTest

/// The language-model chapters say how much of a held-out text is unknown to the training
/// vocabulary (it all reads as <unk>), and warn when a held-out text is the training text.
final class HeldOutNotesTests: XCTestCase {
    func makeData(train: String, valid: String, test: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("held-out-\(UUID().uuidString)")
        let ptb = root.appendingPathComponent("ptb")
        try FileManager.default.createDirectory(at: ptb, withIntermediateDirectories: true)
        for (name, text) in [("train", train), ("valid", valid), ("test", test)] {
            try text.write(to: ptb.appendingPathComponent("ptb.\(name).txt"), atomically: true, encoding: .utf8)
        }
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }

    func testTheUnknownRateIsCountedAndATestTextEqualToTrainIsFlagged() throws {
        // valid: "the zebra ate" + "a cat" → zebra and ate are unknown: 2 of 5 words, 40.00%
        let root = try makeData(train: "the cat sat\na cat ran\n", valid: "the zebra ate\na cat\n", test: "the cat sat\na cat ran\n")
        let splits = try LanguageModellingSplits(dataDirectory: root.path)
        XCTAssertEqual(splits.valid.outOfVocabularyCount, 2)
        XCTAssertEqual(splits.test.outOfVocabularyCount, 0)
        XCTAssertEqual(splits.notes.count, 2, "\(splits.notes)")
        XCTAssertEqual(splits.notes.first, "valid: 2 of 5 words (40.00%) are not in the training vocabulary and read as <unk>")
        XCTAssertTrue(splits.notes.last!.hasPrefix("Warning: the test text") && splits.notes.last!.contains("is the training text"),
                      splits.notes.last!)
    }

    func testAClosedVocabularyTextGetsNoNote() throws {
        // a literal <unk> in the text (as in the Penn Treebank) is a word of the vocabulary
        let root = try makeData(train: "the <unk> sat\na cat ran\n", valid: "the <unk> ran\n", test: "a cat sat\n")
        let splits = try LanguageModellingSplits(dataDirectory: root.path)
        XCTAssertEqual(splits.notes, [])
    }
}
