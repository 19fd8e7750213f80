import ChapterKit
import XCTest
@testable import Chapter03

final class Chapter03OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter03.optionRefusalProblems([
            (["--order", "0"], "--order must be in 3…9"),
            (["--order", "1"], "--order must be in 3…9"),
            (["--order", "12"], "--order must be in 3…9"),
        ]), [])
    }
}
