import ChapterKit
import XCTest
@testable import Chapter05

final class Chapter05OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter05.optionRefusalProblems([
            (["--temperature", "0"], "--temperature must be a positive number"),
            (["--batch-size", "0"], "--batch-size must be at least 1"),
            (["--bptt", "0"], "--bptt must be at least 1"),
            (["--epochs", "0"], "--epochs must be at least 1"),
            (["--learning-rate=-1"], "--learning-rate must be a positive number"),
            (["--clip=-1"], "--clip must be 0 or more"),
            (["--decay", "0.5"], "--decay must be a number of at least 1"),
            (["--activation", "relu"], "--activation must be tanh or sigmoid"),
            (["--optimizer", "rmsprop"], "--optimizer must be sgd or adam"),
            (["--words=-3"], "--words must be at least 0"),
            (["--hidden-size", "100000"], "would need"),
            (["--data-dir", "/nonexistent/data"], "--data-dir /nonexistent/data: no such folder"),
            (["--json", "/nonexistent/folder/results.json"], "the folder /nonexistent/folder does not exist"),
            (["--json", "/tmp"], "is a folder; give a file name"),
            (["--figures", "/proc/version/figures"], "is a file, not a folder"),
        ]), [])
    }
}
