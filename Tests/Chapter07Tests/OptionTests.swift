import ChapterKit
import XCTest
@testable import Chapter07

final class Chapter07OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter07.optionRefusalProblems([
            (["--layers", "0"], "--layers must be at least 1"),
            (["--lags", "5,x,20"], "--lags wants comma-separated positive whole numbers"),
            (["--lags", "0"], "--lags wants comma-separated positive whole numbers"),
            (["--lags", ""], "--lags wants"),
            (["--lag-updates", "0"], "--lag-updates must be at least 1"),
            (["--lag-forget-bias", "nan"], "--lag-forget-bias must be a finite number"),
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--hidden", "100000"], "would need"),
        ]), [])
    }
}
