import ChapterKit
import XCTest
@testable import Chapter01

final class Chapter01OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter01.optionRefusalProblems([
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--hidden=-5"], "--hidden must be at least 1"),
            (["--learning-rate", "nan"], "--learning-rate must be a positive number"),
            (["--dropout", "1"], "--dropout is a probability"),
            (["--word-dropout=-0.1"], "--word-dropout is a probability"),
            (["--minimum-count", "0"], "--minimum-count must be at least 1"),
            (["--hidden", "2000000000"], "would need"),
        ]), [])
    }
}
