import ChapterKit
import XCTest
@testable import Chapter06

final class Chapter06OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter06.optionRefusalProblems([
            (["--hidden-size", "0"], "--hidden-size must be at least 1"),
            (["--steps", "0"], "--steps must be at least 1"),
            (["--input-scale=-1"], "--input-scale must be a positive number"),
            (["--explosion-learning-rate", "inf"], "--explosion-learning-rate must be a positive number"),
        ]), [])
    }
}
