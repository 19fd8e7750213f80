import ChapterKit
import XCTest
@testable import Chapter02

final class Chapter02OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter02.optionRefusalProblems([
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--layers", "0"], "--layers must be at least 1"),
            (["--batch-size", "0"], "--batch-size must be at least 1"),
            (["--word-dropout", "1.5"], "--word-dropout is a probability"),
            (["--embedding", "0"], "--embedding must be at least 1"),
            (["--learning-rate", "0"], "--learning-rate must be a positive number"),
            (["--hidden", "100000", "--layers", "3"], "would need"),
        ]), [])
    }
}
