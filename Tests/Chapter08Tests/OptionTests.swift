import ArgumentParser
import XCTest
@testable import Chapter08

/// Options out of range are refused by name before any work (ArgumentParser's
/// `validate()`), never trapped on; the defaults pass.
final class Chapter08OptionTests: XCTestCase {
    func testOptionsOutOfRangeAreRefusedByName() throws {
        XCTAssertNoThrow(try Chapter08.parseAsRoot([]))
        let cases: [([String], String)] = [
            (["--lags", "20,,50"], "--lags wants"),
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--hidden", "0"], "--hidden must be at least 1"),
            (["--hidden", "100000"], "would need"),
        ]
        for (arguments, fragment) in cases {
            XCTAssertThrowsError(try Chapter08.parseAsRoot(arguments), "\(arguments)") { error in
                let message = Chapter08.message(for: error)
                XCTAssertTrue(message.contains(fragment), "\(arguments): \(message)")
            }
        }
    }
}
