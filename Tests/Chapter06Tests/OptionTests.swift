import ArgumentParser
import XCTest
@testable import Chapter06

/// Options out of range are refused by name before any work (ArgumentParser's
/// `validate()`), never trapped on; the defaults pass.
final class Chapter06OptionTests: XCTestCase {
    func testOptionsOutOfRangeAreRefusedByName() throws {
        XCTAssertNoThrow(try Chapter06.parseAsRoot([]))
        let cases: [([String], String)] = [
            (["--hidden-size", "0"], "--hidden-size must be at least 1"),
            (["--steps", "0"], "--steps must be at least 1"),
            (["--input-scale=-1"], "--input-scale must be a positive number"),
            (["--explosion-learning-rate", "inf"], "--explosion-learning-rate must be a positive number"),
        ]
        for (arguments, fragment) in cases {
            XCTAssertThrowsError(try Chapter06.parseAsRoot(arguments), "\(arguments)") { error in
                let message = Chapter06.message(for: error)
                XCTAssertTrue(message.contains(fragment), "\(arguments): \(message)")
            }
        }
    }
}
