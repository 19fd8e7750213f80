import ChapterKit
import XCTest
@testable import Chapter04

final class Chapter04OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter04.optionRefusalProblems([
            (["--epochs=-1"], "--epochs must be at least 1"),
            (["--batch-size", "0"], "--batch-size must be at least 1"),
            (["--train-percent", "0"], "--train-percent must be in 1…100"),
            (["--train-percent", "101"], "--train-percent must be in 1…100"),
            (["--dropout", "1"], "--dropout is a probability"),
            (["--blas-threads", "0"], "--blas-threads must be at least 1"),
            (["--hidden-size", "1000000"], "would need"),
            (["--batch-size", "1000000000"], "One batch of the window language model would need"),
        ]), [])
    }
}
