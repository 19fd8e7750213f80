import ArgumentParser
import XCTest
@testable import Chapter01

/// Options out of range are refused by name before any work (ArgumentParser's
/// `validate()`), never trapped on; the defaults pass.
final class Chapter01OptionTests: XCTestCase {
    func testOptionsOutOfRangeAreRefusedByName() throws {
        XCTAssertNoThrow(try Chapter01.parseAsRoot([]))
        let cases: [([String], String)] = [
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--hidden=-5"], "--hidden must be at least 1"),
            (["--learning-rate", "nan"], "--learning-rate must be a positive number"),
            (["--dropout", "1"], "--dropout is a probability"),
            (["--word-dropout=-0.1"], "--word-dropout is a probability"),
            (["--minimum-count", "0"], "--minimum-count must be at least 1"),
            (["--hidden", "2000000000"], "would need"),
        ]
        for (arguments, fragment) in cases {
            XCTAssertThrowsError(try Chapter01.parseAsRoot(arguments), "\(arguments)") { error in
                let message = Chapter01.message(for: error)
                XCTAssertTrue(message.contains(fragment), "\(arguments): \(message)")
            }
        }
    }
}
