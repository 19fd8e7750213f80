import ChapterKit
import Foundation
import XCTest
@testable import Chapter02

/// A checkpoint is resumed only by the run it belongs to: another word dropout (a setting
/// of the model, not of the optimizer) or fewer epochs than it has done are refused.
final class Chapter02ResumeRefusalTests: XCTestCase {
    func run(_ arguments: [String]) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ch02-refusal-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: out) }
        try Chapter02.parse(["--figures", out.path] + arguments).run()
    }

    func testAnotherWordDropoutOrFewerEpochsAreRefused() throws {
        let checkpoints = FileManager.default.temporaryDirectory.appendingPathComponent("ch02-ck-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: checkpoints) }
        try run(["--epochs", "2", "--checkpoint", checkpoints])
        XCTAssertThrowsError(try run(["--epochs", "3", "--word-dropout", "0.1", "--checkpoint", checkpoints, "--resume"])) { error in
            XCTAssertTrue("\(error)".contains("word_dropout"), "\(error)")
        }
        XCTAssertThrowsError(try run(["--epochs", "1", "--checkpoint", checkpoints, "--resume"])) { error in
            XCTAssertTrue("\(error)".contains("has 2 epochs done, more than the 1 this run asks for"), "\(error)")
        }
    }
}
