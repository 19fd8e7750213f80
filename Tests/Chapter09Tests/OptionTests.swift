import ChapterKit
import XCTest
@testable import Chapter09

final class Chapter09OptionTests: XCTestCase {
    /// Options out of range are refused by name before any work (ArgumentParser's
    /// `validate()`), never trapped on; the defaults pass.
    func testOptionsOutOfRangeAreRefusedByName() {
        XCTAssertEqual(Chapter09.optionRefusalProblems([
            (["--train-on", "paragraphs"], "--train-on must be sentences or phrases"),
            (["--dates", "6000"], "--dates wants 2 comma-separated numbers"),
            (["--dates", "6000,-1"], "--dates wants comma-separated positive whole numbers"),
            (["--tagger-epochs", "0"], "--tagger-epochs must be at least 1"),
            (["--date-epochs", "0"], "--date-epochs must be at least 1"),
            (["--dates", "20000000,1"], "--dates allows at most 200000 training"),
            (["--tagger-epochs", "9223372036854775807"], "--tagger-epochs must be at most 2147483647"),
            (["--tagger-hidden", "100000"], "would need"),
            (["--tagger-characters=-1"], "--tagger-characters must be"),
            (["--tagger-characters", "5000"], "--tagger-characters must be"),
        ]), [])
    }
}
