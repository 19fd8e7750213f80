import ArgumentParser
import XCTest
@testable import Chapter09

/// Options out of range are refused by name before any work (ArgumentParser's
/// `validate()`), never trapped on; the defaults pass.
final class Chapter09OptionTests: XCTestCase {
    func testOptionsOutOfRangeAreRefusedByName() throws {
        XCTAssertNoThrow(try Chapter09.parseAsRoot([]))
        let cases: [([String], String)] = [
            (["--train-on", "paragraphs"], "--train-on must be sentences or phrases"),
            (["--dates", "6000"], "--dates wants 2 comma-separated numbers"),
            (["--dates", "6000,-1"], "--dates wants comma-separated positive whole numbers"),
            (["--tagger-epochs", "0"], "--tagger-epochs must be at least 1"),
            (["--date-epochs", "0"], "--date-epochs must be at least 1"),
            (["--dates", "20000000,1"], "--dates allows at most 200000 training"),
            (["--tagger-epochs", "9223372036854775807"], "--tagger-epochs must be at most 2147483647"),
            (["--tagger-hidden", "100000"], "would need"),
        ]
        for (arguments, fragment) in cases {
            XCTAssertThrowsError(try Chapter09.parseAsRoot(arguments), "\(arguments)") { error in
                let message = Chapter09.message(for: error)
                XCTAssertTrue(message.contains(fragment), "\(arguments): \(message)")
            }
        }
    }
}
