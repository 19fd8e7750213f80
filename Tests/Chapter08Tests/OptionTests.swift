import ChapterKit
import XCTest
@testable import Chapter08

final class Chapter08OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter08.optionRefusalProblems([
            (["--lags", "20,,50"], "--lags wants"),
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--hidden", "0"], "--hidden must be at least 1"),
            (["--hidden", "100000"], "would need"),
        ]), [])
    }
}
