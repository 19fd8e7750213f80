import ArgumentParser
import XCTest
@testable import Chapter03

/// Options out of range are refused by name before any work (ArgumentParser's
/// `validate()`), never trapped on; the defaults pass.
final class Chapter03OptionTests: XCTestCase {
    func testOptionsOutOfRangeAreRefusedByName() throws {
        XCTAssertNoThrow(try Chapter03.parseAsRoot([]))
        let cases: [([String], String)] = [
            (["--order", "0"], "--order must be in 3…9"),
            (["--order", "1"], "--order must be in 3…9"),
            (["--order", "12"], "--order must be in 3…9"),
        ]
        for (arguments, fragment) in cases {
            XCTAssertThrowsError(try Chapter03.parseAsRoot(arguments), "\(arguments)") { error in
                let message = Chapter03.message(for: error)
                XCTAssertTrue(message.contains(fragment), "\(arguments): \(message)")
            }
        }
    }
}
