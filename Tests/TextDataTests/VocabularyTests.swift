import XCTest
@testable import TextData

final class VocabularyTests: XCTestCase {
    func testOrderCutoffAndUnknown() {
        let tokens = "b a c a b a d".split(separator: " ").map(String.init)
        let v = Vocabulary(counting: tokens, minimumCount: 2, specials: ["<pad>"])
        // <unk>, specials, then a (3), b (2); c and d (1 each) fall under the cut-off
        XCTAssertEqual(v.words, ["<unk>", "<pad>", "a", "b"])
        XCTAssertEqual(v.id("a"), 2)
        XCTAssertEqual(v.id("c"), v.unknownID)
        XCTAssertEqual(v.word(v.id("b")), "b")
        XCTAssertFalse(v.contains("d"))
    }

    func testTiesBreakAlphabeticallySoIdsAreStable() {
        let v1 = Vocabulary(counting: ["z", "y", "x"])
        let v2 = Vocabulary(counting: ["x", "z", "y"])
        XCTAssertEqual(v1, v2)
        XCTAssertEqual(v1.words, ["<unk>", "x", "y", "z"])
    }

    func testTokenizedLinesSkipEmptyLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try " a b \n\n c \n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try readTokenizedLines(url), [["a", "b"], ["c"]])
    }
}

import Foundation
